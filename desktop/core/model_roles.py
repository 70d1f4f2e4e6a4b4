"""What an installed model is kept for, and what a person calls it: one list for the
store, the window and the command line."""

from __future__ import annotations

from typing import Literal

__all__ = ["LANGUAGE_ROLES", "Role", "role_name"]

Role = Literal["chat", "plumbing", "mmproj", "whisper", "shard"]  # shard: 2nd.. part of a split GGUF
LANGUAGE_ROLES: tuple[Role, ...] = ("chat", "plumbing")  # a language model, whatever it is kept for

_NAMES: dict[str, str] = {"chat": "chat model", "plumbing": "chat model", "mmproj": "vision projector",
                          "whisper": "speech model (Whisper)", "shard": "model part"}


def role_name(role: str) -> str:
    """"vision projector" for "mmproj", and so on (the role itself when unknown)."""
    return _NAMES.get(role, role)
