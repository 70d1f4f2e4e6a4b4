"""What every chat engine (local llama.cpp or a remote OpenAI-compatible server) hands
back: a queued job and the `AnswerStream` its caller iterates.

`ChatEngine` is the protocol the chat session, the CLI and `hearth serve` use, so any
engine can stand behind the window.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, EngineInfo, GenerationOptions

__all__ = ["AnswerJob", "AnswerStream", "ChatEngine"]


@dataclass
class AnswerJob:
    """One queued request: the engine thread puts ("delta", str), then ("done", Answer)
    or ("error", exception) on `events`."""

    history: Sequence[Message]
    system_prompt: str | None
    options: GenerationOptions
    events: queue.Queue[tuple[str, object]] = field(default_factory=queue.Queue)
    cancel: threading.Event = field(default_factory=threading.Event)


class AnswerStream:
    """Iterate for text deltas; then `result()` gives the whole `Answer`.

    Iterating re-raises, in the caller's thread, any `HearthError` the engine hit.
    """

    def __init__(self, job: AnswerJob) -> None:
        self._job = job
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        while self._answer is None:
            kind, payload = self._job.events.get()
            if kind == "delta":
                yield str(payload)
            elif kind == "done":
                assert isinstance(payload, Answer)
                self._answer = payload
            else:
                assert isinstance(payload, BaseException)
                raise payload

    def cancel(self) -> None:
        """Stop generating after the token being computed now."""
        self._job.cancel.set()

    def result(self) -> Answer:
        """Consume the rest of the stream and return the answer."""
        for _ in self:
            pass
        assert self._answer is not None
        return self._answer


class ChatEngine(Protocol):
    def wait_ready(self, timeout: float | None = None) -> EngineInfo: ...

    def ask(self, history: Sequence[Message], *, system_prompt: str | None = None,
            options: GenerationOptions | None = None) -> AnswerStream: ...

    def cancel(self) -> None: ...

    def close(self, timeout: float = 60.0) -> None: ...

    @property
    def is_alive(self) -> bool: ...
