"""LocalAgreement-2, as ufal/whisper_streaming streams Whisper: while someone speaks,
Whisper re-reads the growing recording, and a word becomes final once two consecutive
readings agree on it and on every word before it.

Whisper changes its mind about the last words of a clip (it has not heard how the
sentence goes on), rarely about words a second or more back. Committing only what two
passes agree on keeps the committed text stable, so the recording can be trimmed at
the last committed word and only the unconfirmed rest is read again: when the key comes
up, little audio is left to transcribe. Pure Python: hypotheses are word lists with
times, so the logic is tested on recorded hypotheses without audio.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["LocalAgreement", "TimedWord", "join_words", "same_word"]

_OVERLAP_SLACK_S = 0.1  # word times move a little between passes (whisper_streaming's margin)
_REPEAT_WINDOW_S = 1.0  # a re-read of committed words starts this close to their end
_MAX_REPEAT = 5  # the longest re-read run of committed words that is dropped


@dataclass(frozen=True)
class TimedWord:
    """One word of a hypothesis, in seconds from the start of the recording."""

    start_s: float
    end_s: float
    text: str  # as Whisper wrote it, punctuation kept, no surrounding spaces
    joined: bool = False  # written onto the word before, no space between ("U" then ".S.")


def _key(word: TimedWord) -> str:
    """Case and punctuation aside: "morning," and "morning" are the same word said."""
    return re.sub(r"[^\w']+", "", word.text.casefold())


def same_word(a: TimedWord, b: TimedWord) -> bool:
    return _key(a) == _key(b)


def join_words(words: Iterable[TimedWord]) -> str:
    """The words as text: a space between them, except before a `joined` one."""
    text = ""
    for word in words:
        if word.text:
            text += word.text if word.joined or not text else " " + word.text
    return text


class LocalAgreement:
    """Commits the longest common prefix of the last two hypotheses.

    Feed each pass's words (already shifted to recording time) to `insert`; it returns
    the words committed by that pass. `finish` takes the last reading of the
    unconfirmed tail and gives the whole transcript: committed words, then the tail's.
    """

    def __init__(self) -> None:
        self._committed: list[TimedWord] = []
        self._tentative: list[TimedWord] = []  # the latest hypothesis, past the committed words

    @property
    def committed(self) -> tuple[TimedWord, ...]:
        return tuple(self._committed)

    @property
    def tentative(self) -> tuple[TimedWord, ...]:
        return tuple(self._tentative)

    @property
    def committed_end_s(self) -> float:
        """Where the committed words end (0.0 before any): audio before it is done with."""
        return self._committed[-1].end_s if self._committed else 0.0

    def text(self) -> str:
        """Committed and tentative words: the best transcript so far, for a live preview."""
        return join_words([*self._committed, *self._tentative])

    def insert(self, hypothesis: Sequence[TimedWord], *, settled_s: float = math.inf) -> tuple[TimedWord, ...]:
        """One pass's reading; returns the words it newly commits (the newer pass's
        spelling and times: it heard more of the sentence). Words ending after
        `settled_s` stay tentative even when agreed: Whisper has heard too little of
        what follows them to be sure (tiny.en agreed twice on "roundfire" for "brown
        fox" when it was the last word it had heard)."""
        fresh = self._fresh(hypothesis)
        agreed = 0
        while (agreed < min(len(fresh), len(self._tentative)) and fresh[agreed].end_s <= settled_s
               and same_word(fresh[agreed], self._tentative[agreed])):
            agreed += 1
        newly = fresh[:agreed]
        self._committed.extend(newly)
        self._tentative = fresh[agreed:]
        return tuple(newly)

    def finish(self, tail: Sequence[TimedWord]) -> tuple[TimedWord, ...]:
        """The final transcript: the committed words, then `tail` (the last reading of
        the audio after them) less any committed words it read again."""
        return (*self._committed, *self._fresh(tail))

    def _fresh(self, hypothesis: Sequence[TimedWord]) -> list[TimedWord]:
        """The words past what is committed. A pass that starts a little before the
        committed end reads its last words again: drop them (by time, then as a run of
        up to five words equal to the committed suffix)."""
        end = self.committed_end_s
        fresh = [w for w in hypothesis if w.start_s > end - _OVERLAP_SLACK_S] if self._committed else list(hypothesis)
        if fresh and self._committed and abs(fresh[0].start_s - end) < _REPEAT_WINDOW_S:
            for n in range(min(len(self._committed), len(fresh), _MAX_REPEAT), 0, -1):
                if all(same_word(a, b) for a, b in zip(self._committed[-n:], fresh[:n], strict=True)):
                    return fresh[n:]
        return fresh
