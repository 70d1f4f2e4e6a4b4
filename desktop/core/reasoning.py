"""A reasoning model's thinking, told apart from its answer while it streams.

Reasoning models (DeepSeek-R1 and its distills, Qwen3, QwQ, Magistral, ...) write their
thinking first, between markers: `<think>...</think>`, or `[THINK]...[/THINK]`. Some
templates open the block themselves (DeepSeek-R1's ends the prompt with `<think>\\n`), so
the model's text starts inside it with no opening marker. Only a block at the very start
of the answer is thinking: a `<think>` later on is the answer's own text (code, say).
Model output is untrusted: a block that never closes is thinking to the end, and the
markers may arrive split across any number of pieces.

What an answer finally is (`settle`): a block still open when the model stopped of its
own accord, with no answer after it, means the model did not follow the thinking format
(a small model writes `<think>` and then simply answers): its text is the answer. Cut off
by the length limit or by Stop, the thinking stays thinking (the window says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from desktop.core.engine_types import FinishReason

__all__ = ["MARKERS", "Part", "ThinkingSplitter", "opens_thinking", "settle"]

MARKERS: tuple[tuple[str, str], ...] = (("<think>", "</think>"), ("[THINK]", "[/THINK]"))
PartKind = Literal["thought", "answer"]


@dataclass(frozen=True)
class Part:
    kind: PartKind
    text: str


def settle(answer: str, thought: str, finish_reason: FinishReason, *, unclosed: bool) -> tuple[str, str]:
    """The final (answer, thought) of a finished stream. `unclosed`: the thinking block was
    still open at the end (or its end cannot be seen: a server's separate thinking).

    A normal end ("stop") inside an open block with nothing answered means the model did
    not follow the format, so its text is the answer: an empty answer would look like no
    answer at all and be sent back to the model as an empty turn. "length" and "cancelled"
    cut the thinking short: it stays thinking."""
    if finish_reason == "stop" and unclosed and not answer.strip() and thought.strip():
        return thought.strip(), ""
    return answer, thought


def opens_thinking(prompt: str) -> str | None:
    """The closing marker to wait for when the rendered prompt itself opened a thinking
    block (it ends with an opening marker), else None."""
    tail = prompt.rstrip()
    for opening, closing in MARKERS:
        if tail.endswith(opening):
            return closing
    return None


class ThinkingSplitter:
    """Feed it the answer's text as it comes; it returns what can be shown now, as parts.
    Text that may be the start of a marker is held back until the next piece says."""

    def __init__(self, *, open_closing: str | None = None) -> None:
        self._state: Literal["start", "thinking", "after", "answer"] = "thinking" if open_closing else "start"
        self._closing = open_closing or ""
        self._held = ""

    @property
    def thinking(self) -> bool:
        return self._state == "thinking"

    def final(self, answer: str, thought: str, finish_reason: FinishReason, *,
              told_apart: bool = False) -> tuple[str, str]:
        """What the answer and the thought are, once `finish()` was called (see `settle`).
        `told_apart`: some thinking came from the engine as such, so whether its block
        closed is not seen here; with no answer after it, it counts as still open."""
        unclosed = self.thinking or (told_apart and not answer.strip())
        return settle(answer, thought, finish_reason, unclosed=unclosed)

    def feed(self, text: str) -> list[Part]:
        self._held += text
        parts: list[Part] = []
        while self._held:
            if self._state == "answer":
                parts.append(Part("answer", self._held))
                self._held = ""
            elif self._state == "start":
                if not self._leave_start(parts):
                    break
            elif self._state == "after":  # the blank lines between thinking and answer go
                self._held = self._held.lstrip()
                if self._held:
                    self._state = "answer"
            elif not self._think(parts):
                break
        return [part for part in parts if part.text]

    def finish(self) -> list[Part]:
        """The text still held back, once the answer has ended."""
        held, self._held = self._held, ""
        if self._state == "after":
            return []
        kind: PartKind = "thought" if self._state == "thinking" else "answer"
        return [Part(kind, held)] if held else []

    def _leave_start(self, parts: list[Part]) -> bool:
        """Decide, from the answer's first characters, whether it opens with thinking."""
        body = self._held.lstrip()
        if not body:
            return False  # only whitespace so far: wait
        for opening, closing in MARKERS:
            if body.startswith(opening):
                self._state, self._closing = "thinking", closing
                self._held = body[len(opening):]
                return True
            if opening.startswith(body):
                return False  # may still become a marker
        self._state = "answer"
        return True

    def _think(self, parts: list[Part]) -> bool:
        index = self._held.find(self._closing)
        if index >= 0:
            parts.append(Part("thought", self._held[:index]))
            self._held = self._held[index + len(self._closing):]
            self._state = "after"
            return True
        keep = _partial_suffix(self._held, self._closing)
        parts.append(Part("thought", self._held[: len(self._held) - keep]))
        self._held = self._held[len(self._held) - keep:]
        return False


def _partial_suffix(text: str, marker: str) -> int:
    """How many of `text`'s last characters could be the start of `marker`."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:size]):
            return size
    return 0
