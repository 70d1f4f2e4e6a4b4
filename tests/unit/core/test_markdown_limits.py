"""Hostile model output: what is parsed and coloured is bounded, the rest is plain, nothing is lost."""

from __future__ import annotations

import random

import pytest

from desktop.core import code_highlight, markdown_blocks, markdown_render
from desktop.core.markdown_blocks import (
    CODE_LINES,
    DEEP,
    LONG,
    MAX_NESTING,
    PROSE_CHARS,
    RICH_CHARS,
    BlockStream,
    split_blocks,
)
from desktop.core.markdown_render import render_prose


class _CountingParser:
    """Wraps the splitter's markdown-it: how many characters each parse was handed."""

    def __init__(self) -> None:
        self.real = markdown_blocks._parser()
        self.sizes: list[int] = []

    def parse(self, text: str) -> list:
        self.sizes.append(len(text))
        return self.real.parse(text)


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    counter = _CountingParser()
    monkeypatch.setattr(markdown_blocks, "_parser", lambda: counter)
    return counter.sizes


def kinds(blocks) -> list[tuple[str, str]]:
    return [(b.kind, b.reason) for b in blocks]


def unclosed_fence(lines: int) -> str:
    return "```python\n" + "".join(f"value_{i} = compute({i})\n" for i in range(lines))


def test_a_megabyte_of_brackets_is_one_plain_block_and_only_the_window_is_parsed(parses):
    text = "[" * 1_000_000
    assert kinds(split_blocks(text)) == [("plain", LONG)]
    assert split_blocks(text)[0].source == text
    assert parses and max(parses) <= RICH_CHARS


def test_text_past_the_window_is_plain_after_the_blocks_that_end_inside_it(parses):
    intro = "A short, normal introduction.\n\n```python\nprint('hi')\n```\n\n"
    text = intro + "Then a flood: " + "*[" * 600_000
    blocks = split_blocks(text)
    assert kinds(blocks) == [("prose", ""), ("code", ""), ("plain", LONG)]
    assert "".join(b.source for b in blocks) == text  # nothing is lost
    assert blocks[2].source.startswith("Then a flood")
    assert max(parses) <= RICH_CHARS


def test_an_unclosed_fence_over_code_lines_is_plain_from_its_first_line():
    assert kinds(split_blocks(unclosed_fence(CODE_LINES))) == [("code", "")]  # at the limit: coloured
    text = "Intro.\n\n" + unclosed_fence(100_000)
    blocks = split_blocks(text)
    assert kinds(blocks) == [("prose", ""), ("plain", LONG)]
    assert blocks[1].source.startswith("```python\nvalue_0") and "".join(b.source for b in blocks) == text


def test_a_prose_block_over_prose_chars_is_plain():
    words = "Word " * (PROSE_CHARS // 5)
    assert kinds(split_blocks(words[:PROSE_CHARS - 10] + "\n\nnext")) == [("prose", ""), ("prose", "")]
    assert kinds(split_blocks("Intro.\n\n" + words + "more words\n\nnext")) == [("prose", ""), ("plain", LONG)]


def test_deep_nesting_is_plain_text_instead_of_being_dropped():
    deep = "> " * 40 + "the deepest words\n\nand the paragraph after"
    assert "the deepest words" not in render_prose(deep)  # what markdown-it drops past maxNesting...
    blocks = split_blocks("Intro.\n\n" + deep)
    assert kinds(blocks) == [("prose", ""), ("plain", DEEP)]
    assert "the deepest words" in blocks[1].source and "paragraph after" in blocks[1].source  # ...is shown
    assert kinds(split_blocks("> " * 10_000 + "x")) == [("plain", DEEP)]
    nested = "".join("  " * level + f"- level {level}\n" for level in range(6)) + "> > > three quotes\n"
    assert kinds(split_blocks(nested)) == [("prose", ""), ("prose", "")]  # realistic nesting is formatted
    assert markdown_render._markdown().options["maxNesting"] == MAX_NESTING


def test_streaming_stops_parsing_once_the_rest_is_plain(parses):
    text = "Intro.\n\n" + "[" * 1_000_000
    stream = BlockStream()
    step = 4_000
    for end in range(step, len(text), step):
        update = stream.feed(text[:end])
    assert kinds(update.tail) == [("prose", ""), ("plain", LONG)] and update.tail[1].source == text[8:end]
    assert sum(parses) < 20 * PROSE_CHARS  # parsed only until it was over the limit, never after
    parsed = len(parses)
    for end in range(len(text) - 3 * step, len(text), step):
        stream.feed(text[:end])
    assert len(parses) == parsed
    final = stream.finish(text)
    assert stream.committed == tuple(split_blocks(text)) and final.tail == ()
    assert max(parses) <= RICH_CHARS


LIMIT_TEXTS = [
    "Intro.\n\n" + "[" * 300 + "\n\nafter",
    "Intro.\n\n```py\n" + "x = 1\n" * 9 + "```\n\nafter\n",
    "A para.\n\n" + "> " * 20 + "deep\n\nafter",
    "One.\n\n- a\n- b\n\n```sh\nls\n```\n\n" + "Words and more words. " * 30,
    "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 30 + "\ntail",
    "x\n\n```\n" + "y\n" * 5 + "```\n\n" + "z " * 300,
    "".join(f"p{i}\n\n" for i in range(40)),  # more than RICH_LINES lines
    "".join(f"# heading {i}\n" for i in range(30)),  # more than MAX_BLOCKS blocks
]


@pytest.mark.parametrize("text", LIMIT_TEXTS)
def test_streaming_equals_the_whole_at_every_split_point_with_small_limits(text, monkeypatch):
    monkeypatch.setattr(markdown_blocks, "RICH_CHARS", 400)
    monkeypatch.setattr(markdown_blocks, "PROSE_CHARS", 120)
    monkeypatch.setattr(markdown_blocks, "CODE_LINES", 6)
    monkeypatch.setattr(markdown_blocks, "RICH_LINES", 40)
    monkeypatch.setattr(markdown_blocks, "MAX_BLOCKS", 25)
    whole = tuple(split_blocks(text))
    assert any(block.kind == "plain" for block in whole) and "".join(b.source for b in whole) == text
    for cut in range(len(text) + 1):
        stream = BlockStream()
        stream.feed(text[:cut])
        stream.finish(text)
        assert stream.committed == whole, cut
    rng = random.Random(7)
    stream = BlockStream()
    for cut in sorted(rng.sample(range(1, len(text)), 40)):
        stream.feed(text[:cut])
        assert stream.committed == whole[:len(stream.committed)]  # committed blocks are final, plain ones too
    stream.finish(text)
    assert stream.committed == whole


def test_code_over_the_limits_is_never_handed_to_pygments(monkeypatch):
    lexed: list[int] = []
    real = code_highlight._tokens
    monkeypatch.setattr(code_highlight, "_tokens", lambda code, lang: (lexed.append(len(code)), real(code, lang))[1])
    many = "x = 1\n" * (code_highlight.HIGHLIGHT_LINES + 1)
    assert code_highlight.highlight_lines(many, "python") == [()] * (code_highlight.HIGHLIGHT_LINES + 2)
    wide = "x = '" + "a" * code_highlight.HIGHLIGHT_LINE_CHARS + "'"
    assert code_highlight.highlight_line(wide, "python") == ()
    assert lexed == []
    assert code_highlight.highlight_lines("x = 1\n" * code_highlight.HIGHLIGHT_LINES, "python")[0]  # at the limit
    assert lexed


def test_render_prose_never_parses_or_lexes_past_the_limits(monkeypatch):
    lexed: list[str] = []
    monkeypatch.setattr(markdown_render, "highlight", lambda code, lexer, fmt: lexed.append(code) or code)
    nested = "- a list with code:\n\n  ```python\n" + "  x = 1\n" * (code_highlight.HIGHLIGHT_LINES + 5) + "  ```\n"
    out = render_prose(nested)
    assert lexed == [] and out.count("x = 1") == code_highlight.HIGHLIGHT_LINES + 5  # escaped, not coloured
    render_prose("- short:\n\n  ```python\n  x = 1\n  ```\n")
    assert lexed == ["x = 1\n"]
    monkeypatch.setattr(markdown_render, "_markdown", lambda: pytest.fail("parsed past RICH_CHARS"))
    out = render_prose("<b>" + "[" * RICH_CHARS)
    assert out.startswith("<p>&lt;b&gt;[[[") and "<b>" not in out
