"""Markdown split into top-level blocks ("prose" and "code"), whole or while it streams.

The window shows prose as rich text and code as its own widget (a header, a copy button,
horizontal scrolling), so an answer is split at markdown-it's top-level blocks (its
token stream and line maps; no Markdown parsing of our own). While an answer streams,
`BlockStream` commits the blocks that no later text can change and re-parses only the
open tail after them, so a delta costs the tail, not the whole answer.

Invariant: feeding a text piecewise and then finishing gives exactly `split_blocks` of
the whole text (tested over every split point of realistic answers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt

__all__ = ["Block", "BlockStream", "StreamUpdate", "split_blocks"]

_CODE_TOKENS = ("fence", "code_block")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")


@dataclass(frozen=True)
class Block:
    kind: Literal["prose", "code"]
    source: str  # the block's Markdown, up to the next block (so sources join to the text)
    code: str = ""  # code: the raw code, what Copy copies
    language: str = ""  # code: the fence's language ("" if none)
    closed: bool = True  # code: False while a fence waits for its closing line


@dataclass(frozen=True)
class StreamUpdate:
    committed: tuple[Block, ...]  # blocks committed by this call: final, render them once
    tail: tuple[Block, ...]  # the open tail's blocks: may still change (empty once finished)
    reset: bool = False  # the text did not extend the committed text: started over from 0


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Block rules only (as `markdown_render` configures them); inline parsing is skipped."""
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).disable(["inline", "text_join"])


def split_blocks(text: str) -> list[Block]:
    """The top-level blocks of a complete answer."""
    return [block for block, _line in _blocks(_normalize(text), final=True)]


class BlockStream:
    """Incremental `split_blocks` for a growing text: `feed()` each delta, `finish()` once.

    A block is committed once a later block has started and that start and the line after
    it are complete lines (markdown-it decides a block's end from the next line, plus one
    line of look-ahead for a table's delimiter row): nothing appended can change it then.
    """

    def __init__(self) -> None:
        self.parsed_chars = 0  # characters handed to markdown-it so far (the cost)
        self._committed: list[Block] = []
        self._committed_text = ""

    @property
    def committed(self) -> tuple[Block, ...]:
        return tuple(self._committed)

    def feed(self, text: str) -> StreamUpdate:
        """`text` is the whole answer so far."""
        return self._advance(text, final=False)

    def finish(self, text: str) -> StreamUpdate:
        """Commit everything: `text` is the complete answer."""
        return self._advance(text, final=True)

    def _advance(self, text: str, *, final: bool) -> StreamUpdate:
        if not final and text.endswith("\r"):
            text = text[:-1]  # half of a "\r\n": wait for the rest
        text = _normalize(text)
        reset = not text.startswith(self._committed_text)
        if reset:
            self._committed, self._committed_text = [], ""
        tail = text[len(self._committed_text):]
        self.parsed_chars += len(tail)
        found = _blocks(tail, final=final)
        if final:
            count = len(found)
        else:
            complete = tail.count("\n")
            count = 0
            while count + 1 < len(found) and found[count + 1][1] + 1 < complete:
                count += 1
        committed = tuple(block for block, _line in found[:count])
        self._committed.extend(committed)
        self._committed_text += "".join(block.source for block in committed)
        return StreamUpdate(committed, tuple(block for block, _line in found[count:]), reset)


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _blocks(text: str, *, final: bool) -> list[tuple[Block, int]]:
    """(block, first line) for each top-level block; lines before the first go with it."""
    tops = [t for t in _parser().parse(text) if t.level == 0 and t.map is not None and t.nesting != -1]
    if not tops:
        return []
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    starts = [0] + [t.map[0] for t in tops[1:]] + [len(lines)]
    result = []
    for i, token in enumerate(tops):
        source = text[offsets[starts[i]]:min(offsets[starts[i + 1]], len(text))]
        if token.type not in _CODE_TOKENS:
            result.append((Block("prose", source), starts[i]))
            continue
        language = token.info.split()[0] if token.type == "fence" and token.info.strip() else ""
        closed = token.type == "code_block" or _fence_closed(token.markup, lines, token.map, final=final)
        result.append((Block("code", source, token.content, language, closed), starts[i]))
    return result


def _fence_closed(markup: str, lines: list[str], span: list[int], *, final: bool) -> bool:
    """Whether a fence's last line closes it (while streaming, only once that line is complete)."""
    first, end = span
    if end - first < 2:
        return False
    last = end - 1
    if not final and last == len(lines) - 1:
        return False  # "```" still being typed might become "````" or "```python"
    match = _FENCE_CLOSE.fullmatch(lines[last])
    return bool(match) and match.group(1)[0] == markup[0] and len(match.group(1)) >= len(markup)
