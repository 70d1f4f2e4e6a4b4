"""The data a chat is made of: plain frozen dataclasses, no Qt, no engine types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Attachment", "Message", "Role"]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Attachment:
    """An image ready for the model: normalised RGB encoded as a `data:` URI."""

    data_uri: str
    width: int
    height: int
    source_name: str = ""


@dataclass(frozen=True)
class Message:
    """One turn of the conversation."""

    role: Role
    text: str
    images: tuple[Attachment, ...] = field(default=())

    @classmethod
    def user(cls, text: str, images: tuple[Attachment, ...] = ()) -> Message:
        return cls(role="user", text=text, images=tuple(images))

    @classmethod
    def assistant(cls, text: str) -> Message:
        return cls(role="assistant", text=text)
