"""Markdown split into top-level blocks ("prose", "code", "plain"), whole or while it streams.

The window shows prose as rich text and code as its own widget (a header, a copy button,
horizontal scrolling), so an answer is split at markdown-it's top-level blocks (its
token stream and line maps; no Markdown parsing of our own). While an answer streams,
`BlockStream` commits the blocks that no later text can change and re-parses only the
open tail after them, so a delta costs the tail, not the whole answer.

Model output is untrusted, and rendering costs far more per character than reading it
(1 MB of "[" or an unclosed 100,000-line fence froze the window for a minute), so what is
formatted is bounded: the first `RICH_CHARS` characters, `RICH_LINES` lines and
`MAX_BLOCKS` blocks of an answer, no prose block over `PROSE_CHARS`, no code block over `CODE_LINES` lines, nothing
nested `MAX_NESTING` deep (markdown-it would silently drop what is deeper). From the first
block past a limit, the rest of the answer is one "plain" block: shown as text, never
parsed again, never lost. The most that is formatted costs about what a legitimate answer
of that size does.

Invariant: feeding a text piecewise and then finishing gives exactly `split_blocks` of
the whole text (tested over every split point of realistic answers). While streaming,
the switch to plain text may come a block early (an open block is judged by what it holds
so far); `finish` judges again from the committed text, exactly as `split_blocks` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt

from desktop.core.code_highlight import HIGHLIGHT_LINES

__all__ = [
    "CODE_LINES",
    "DEEP",
    "LONG",
    "MAX_BLOCKS",
    "MAX_NESTING",
    "PROSE_CHARS",
    "RICH_CHARS",
    "RICH_LINES",
    "Block",
    "BlockStream",
    "StreamUpdate",
    "split_blocks",
]

RICH_CHARS = 64_000  # formatted per answer at most (~16k tokens, 4x what the default context holds)
RICH_LINES = 4_000  # and its lines (markdown-it's cost is per line as much as per character)
PROSE_CHARS = 16_000  # one top-level paragraph, list or table at most (one render: ~0.2 s at worst)
MAX_BLOCKS = 1_000  # top-level blocks at most (each is a widget while it streams; ~230 in 18 KB)
CODE_LINES = HIGHLIGHT_LINES  # one code block's lines at most (all of them coloured)
MAX_NESTING = 16  # markdown-it's maxNesting, here and in markdown_render: ~7 list or 14 quote levels
LONG, DEEP = "long", "deep"  # why a plain block is not formatted

_CODE_TOKENS = ("fence", "code_block")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")


@dataclass(frozen=True)
class Block:
    kind: Literal["prose", "code", "plain"]
    source: str  # the block's Markdown, up to the next block (so sources join to the text)
    code: str = ""  # code: the raw code, what Copy copies
    language: str = ""  # code: the fence's language ("" if none)
    closed: bool = True  # code: False while a fence waits for its closing line
    reason: str = ""  # plain: why the rest of the answer is not formatted (LONG or DEEP)


@dataclass(frozen=True)
class StreamUpdate:
    committed: tuple[Block, ...]  # blocks committed by this call: final, render them once
    tail: tuple[Block, ...]  # the open tail's blocks: may still change (empty once finished)
    reset: bool = False  # the text did not extend the committed text: started over from 0


@dataclass(frozen=True)
class _Found:
    block: Block
    first: int  # the block's first line in the parsed text
    deep: bool  # markdown-it reached MAX_NESTING in it (and dropped what was deeper)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Block rules only (as `markdown_render` configures them); inline parsing is skipped."""
    options = {"html": False, "maxNesting": MAX_NESTING}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"]).disable(["inline", "text_join"])


def split_blocks(text: str) -> list[Block]:
    """The top-level blocks of a complete answer (the last one "plain" past a limit)."""
    return list(BlockStream().finish(text).committed)


class BlockStream:
    """Incremental `split_blocks` for a growing text: `feed()` each delta, `finish()` once.

    A block is committed once a later block has started and that start and the line after
    it are complete lines (markdown-it decides a block's end from the next line, plus one
    line of look-ahead for a table's delimiter row): nothing appended can change it then.
    Once the rest is plain (a block over a limit), deltas are not parsed at all until
    `finish`; the plain block is committed only then.
    """

    def __init__(self) -> None:
        self.parsed_chars = 0  # characters handed to markdown-it so far (the cost)
        self._committed: list[Block] = []
        self._committed_text = ""
        self._plain = ""  # while streaming: why the text from `_plain_from` on is plain ("": none is)
        self._plain_from = ""  # the text up to the plain block (its end is where that block starts)
        self._held: tuple[Block, ...] = ()  # open blocks between the committed ones and the plain one

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
        if self._plain and not final and not reset and text.startswith(self._plain_from):
            return StreamUpdate((), self._held + self._rest(text), reset)  # nothing to parse
        self._plain, self._held = "", ()  # finishing judges the open blocks again, now complete
        window = _window(text)
        whole = window == len(text)
        tail = text[len(self._committed_text):window]
        self.parsed_chars += len(tail)
        found = _blocks(tail, final=final and whole)
        count = len(found)  # the blocks that no later text can change
        if not (final and whole):
            complete = tail.count("\n")
            count = 0
            while count + 1 < len(found) and found[count + 1].first + 1 < complete:
                count += 1
        stop = None  # the first block shown as plain text: open blocks are judged by what they hold so far
        for index, item in enumerate(found):
            self._plain = LONG if len(self._committed) + index >= MAX_BLOCKS else _over(item)
            if self._plain:
                stop = index
                break
        if stop is None and not whole:  # the block that reaches past the window and all after it
            stop, self._plain = count, LONG
        if stop is None:
            return StreamUpdate(self._commit(found[:count]), tuple(item.block for item in found[count:]), reset)
        # finishing, or past the window (never parsed again): all before the plain text is final
        committed = self._commit(found[:stop] if final or not whole else found[:min(count, stop)])
        if final:
            rest = self._rest(text, self._committed_text)
            self._committed.extend(rest)
            self._committed_text, self._plain = text, ""
            return StreamUpdate(committed + rest, (), reset)
        self._held = tuple(item.block for item in found[len(committed):stop])
        self._plain_from = self._committed_text + "".join(block.source for block in self._held)
        return StreamUpdate(committed, self._held + self._rest(text), reset)

    def _commit(self, found: list[_Found]) -> tuple[Block, ...]:
        committed = tuple(item.block for item in found)
        self._committed.extend(committed)
        self._committed_text += "".join(block.source for block in committed)
        return committed

    def _rest(self, text: str, start: str | None = None) -> tuple[Block, ...]:
        rest = text[len(self._plain_from if start is None else start):]
        return (Block("plain", rest, reason=self._plain),) if rest else ()


def _window(text: str) -> int:
    """The length of the text's start that may be formatted: RICH_CHARS, or RICH_LINES lines."""
    end = min(len(text), RICH_CHARS)
    if text.count("\n", 0, end) > RICH_LINES:
        end = 0
        for _ in range(RICH_LINES):
            end = text.index("\n", end) + 1
    return end


def _over(item: _Found) -> str:
    """Why `item` is not formatted (LONG, DEEP), or "" if it is."""
    block = item.block
    if item.deep:
        return DEEP
    if block.kind == "code":
        lines = block.code.count("\n") + (not block.code.endswith("\n"))
        return LONG if lines > CODE_LINES else ""
    return LONG if len(block.source) > PROSE_CHARS else ""


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _blocks(text: str, *, final: bool) -> list[_Found]:
    """Each top-level block with its lines; lines before the first go with it."""
    tops: list = []
    deep: list[bool] = []
    for token in _parser().parse(text):
        if token.level == 0 and token.map is not None and token.nesting != -1:
            tops.append(token)
            deep.append(False)
        elif token.level >= MAX_NESTING - 1 and deep:  # a container this deep lost its content
            deep[-1] = True
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
            block = Block("prose", source)
        else:
            language = token.info.split()[0] if token.type == "fence" and token.info.strip() else ""
            closed = token.type == "code_block" or _fence_closed(token.markup, lines, token.map, final=final)
            block = Block("code", source, token.content, language, closed)
        result.append(_Found(block, starts[i], deep[i]))
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
