"""What of an answer is read aloud, sentence by sentence, as it streams.

An answer is Markdown: headings, emphasis, links, lists and inline code are read as
their words; code blocks are not read at all (nobody wants a listing spelled out, and
the screen shows it). `SpokenSentences` takes the answer as it streams and
gives each sentence once it is whole, so speech starts with the first one while the
rest is still being written. Every sentence is bounded in length (a run-on without a
full stop is cut at a word), and so is what is kept waiting.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SENTENCE_CHARS", "SpokenSentences", "speakable"]

MAX_SENTENCE_CHARS = 400
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")
_INLINE = (
    (re.compile(r"`([^`\n]*)`"), r"\1"),  # inline code: its words (a block is not read)
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # an image: its description
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # a link: its text
    (re.compile(r"<[^>\n]+>"), ""),  # raw HTML tags
    (re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),  # heading marks
    (re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE), ""),  # list marks
    (re.compile(r"^\s*>\s?", re.MULTILINE), ""),  # quote marks
    (re.compile(r"^\s*([-*_]\s*){3,}$", re.MULTILINE), ""),  # rules
    (re.compile(r"\|"), " "),  # table bars
)


def speakable(markdown: str) -> str:
    """The words of `markdown` as they would be read: no code, no marks."""
    kept, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    text = "\n".join(kept)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


class SpokenSentences:
    """Sentences to speak from an answer that streams in (`feed`), then the rest
    (`finish`). The answer is read once, front to back: a sentence is given out when it
    is whole (a full stop and a space after it, or its line ends), code blocks are
    passed over, and what is still being written waits (bounded)."""

    def __init__(self) -> None:
        self._pending = ""  # the answer's text not yet given out or passed over
        self._fenced = False  # inside a code block

    def feed(self, delta: str) -> list[str]:
        self._pending += delta
        return self._take(final=False)

    def finish(self) -> list[str]:
        return self._take(final=True)

    def _take(self, *, final: bool) -> list[str]:
        raw: list[str] = []
        while self._pending:
            end = self._pending.find("\n")
            line = self._pending if end < 0 else self._pending[:end]
            whole = end >= 0 or final
            if _FENCE.match(line) or (not whole and line.lstrip()[:1] in ("`", "~")):
                if not whole:
                    break  # perhaps a fence being written: wait for its line
                self._fenced = not self._fenced
            elif self._fenced:
                if not whole:
                    break
            elif whole:
                raw.extend(_split(line, complete=True)[0])
            else:
                done, rest = _split(line, complete=False)
                raw.extend(done)
                self._pending = rest
                break
            self._pending = "" if end < 0 else self._pending[end + 1:]
        return [part for sentence in raw for part in _bounded(_tidy(speakable(sentence))) if part]


def _split(line: str, *, complete: bool) -> tuple[list[str], str]:
    """The whole sentences of `line`, and what is left (nothing when the line is complete;
    a run-on longer than a sentence may be is cut at a word)."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(line):
        sentences.append(line[start:match.end()])
        start = match.end()
    rest = line[start:]
    if complete:
        return [*sentences, rest], ""
    if len(rest) > MAX_SENTENCE_CHARS:
        cut = rest.rfind(" ", 0, MAX_SENTENCE_CHARS) + 1 or MAX_SENTENCE_CHARS
        sentences.append(rest[:cut])
        rest = rest[cut:]
    return sentences, rest


def _tidy(sentence: str) -> str:
    return " ".join(sentence.split())


def _bounded(sentence: str) -> list[str]:
    parts = []
    while len(sentence) > MAX_SENTENCE_CHARS:
        cut = sentence.rfind(" ", 0, MAX_SENTENCE_CHARS) + 1 or MAX_SENTENCE_CHARS
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:]
    return [*parts, sentence.strip()]
