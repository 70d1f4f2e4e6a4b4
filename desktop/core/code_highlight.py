"""Pygments colours for code, as spans per line, so a widget can colour lines one by one.

A streaming code block is coloured line by line without context (cheap: only a changed
line is lexed again), and once with full context when the block is complete (multi-line
strings and comments right). The styles are matched to the window's light and dark
backgrounds. No Qt here: the GUI turns `TokenStyle`s into character formats.

Code comes from the model, so lexing is bounded: a block of more than `HIGHLIGHT_LINES`
lines, or a line longer than `HIGHLIGHT_LINE_CHARS` (minified or hostile text), is shown
uncoloured rather than handed to Pygments (whose regular expressions are not all linear).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import Text, _TokenType
from pygments.util import ClassNotFound

__all__ = [
    "DARK_STYLE",
    "HIGHLIGHT_LINES",
    "HIGHLIGHT_LINE_CHARS",
    "LIGHT_STYLE",
    "Span",
    "TokenStyle",
    "TokenType",
    "highlight_line",
    "highlight_lines",
    "highlightable",
    "lexer_for",
    "style_name",
    "token_style",
]

LIGHT_STYLE = "default"  # WCAG-checked colours on a near-white background
DARK_STYLE = "github-dark"  # made for a near-black background like the dark code_bg
HIGHLIGHT_LINES = 2_000  # a longer block is not coloured (Pygments: ~0.1 s per 1,000 lines)
HIGHLIGHT_LINE_CHARS = 5_000  # nor is a block with a longer line

TokenType = _TokenType  # Pygments' token type (Keyword, String.Doc...): hashable, a key for formats
Span = tuple[int, int, TokenType]  # start and length within one line, in characters; token type


@dataclass(frozen=True)
class TokenStyle:
    color: str | None  # "#rrggbb", or None to keep the text colour
    bold: bool = False
    italic: bool = False
    underline: bool = False


def style_name(dark: bool) -> str:
    return DARK_STYLE if dark else LIGHT_STYLE


@lru_cache(maxsize=4096)
def token_style(style: str, token: TokenType) -> TokenStyle:
    """How `style` draws `token` (Pygments resolves the parent token types)."""
    found = get_style_by_name(style).style_for_token(token)
    color = found.get("color")
    return TokenStyle(
        color=f"#{color}" if color else None,
        bold=bool(found.get("bold")),
        italic=bool(found.get("italic")),
        underline=bool(found.get("underline")),
    )


@lru_cache(maxsize=128)
def lexer_for(language: str) -> Lexer:
    """The lexer for a fence's language ("py", "c++", "sh"...); plain text if unknown.

    Cached: looking a lexer up by name scans Pygments' registry and costs milliseconds.
    """
    name = language.strip().lower()
    if name:
        try:
            return get_lexer_by_name(name)
        except ClassNotFound:
            pass
    return TextLexer()


def highlightable(code: str) -> bool:
    """Whether `code` is small enough to colour (see the module's note)."""
    if len(code) <= HIGHLIGHT_LINE_CHARS:
        return True
    lines = code.count("\n") + (not code.endswith("\n"))
    return lines <= HIGHLIGHT_LINES and max(map(len, code.split("\n"))) <= HIGHLIGHT_LINE_CHARS


def highlight_lines(code: str, language: str) -> list[tuple[Span, ...]]:
    """Full-context spans, one tuple per line of `code.split("\\n")`; none if too big to colour."""
    lines = code.split("\n")
    if not highlightable(code):
        return [() for _ in lines]
    result: list[list[Span]] = [[] for _ in lines]
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for index, token, value in _tokens(code, language):
        row = bisect_right(starts, index) - 1
        col = index - starts[row]
        for k, part in enumerate(value.split("\n")):
            if k:
                row, col = row + 1, 0
            if row >= len(lines):
                break
            if part and token is not Text:
                result[row].append((col, len(part), token))
            col += len(part)
    return [tuple(spans) for spans in result]


def highlight_line(line: str, language: str) -> tuple[Span, ...]:
    """One line's spans without context (a streaming block's changed line)."""
    return highlight_lines(line, language)[0]


def _tokens(code: str, language: str) -> list[tuple[int, TokenType, str]]:
    # get_tokens_unprocessed keeps offsets into `code` as given (get_tokens strips and
    # expands tabs); a final newline lets line-based rules ("#.*$") match the last line.
    text = code if code.endswith("\n") else code + "\n"
    return [(i, t, v) for i, t, v in lexer_for(language).get_tokens_unprocessed(text) if i < len(code)]
