"""Model output (untrusted Markdown) to the HTML subset Qt's rich text shows.

markdown-it-py with raw HTML disabled, so a model cannot inject markup; images are
never loaded (they become a plain link, so nothing is fetched); links are kept and
opened by the window only when clicked. Fenced code is highlighted by Pygments with
inline styles (Qt's rich text has no stylesheet cascade) and preceded by a `copy:N`
link the window turns into a copy button.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

__all__ = ["COPY_SCHEME", "RenderedMarkdown", "render_markdown"]

COPY_SCHEME = "copy"


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    code_blocks: tuple[str, ...]  # the raw text behind each `copy:N` link


def render_markdown(text: str, *, dark: bool = False) -> RenderedMarkdown:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])
    blocks: list[str] = []
    style = "monokai" if dark else "friendly"

    def fence(_renderer: Any, tokens: Sequence[Any], idx: int, _options: Any, _env: Any) -> str:
        token = tokens[idx]
        code = token.content
        blocks.append(code)
        language = token.info.strip().split(" ")[0] if token.info else ""
        try:
            lexer = get_lexer_by_name(language) if language else TextLexer()
        except ClassNotFound:
            lexer = TextLexer()
        body = highlight(code, lexer, HtmlFormatter(noclasses=True, style=style, nowrap=True))
        label = html.escape(language) + " · " if language else ""
        return (
            f'<p style="margin:0"><small>{label}<a href="{COPY_SCHEME}:{len(blocks) - 1}">Copy</a></small></p>'
            f'<pre style="margin-top:2px">{body}</pre>'
        )

    def image(_renderer: Any, tokens: Sequence[Any], idx: int, _options: Any, _env: Any) -> str:
        token = tokens[idx]
        alt = html.escape(token.content or "image")
        src = html.escape(str(token.attrGet("src") or ""), quote=True)
        return f'<a href="{src}">[image: {alt}]</a>' if src else f"[image: {alt}]"

    md.add_render_rule("fence", fence)
    md.add_render_rule("code_block", fence)
    md.add_render_rule("image", image)
    return RenderedMarkdown(html=md.render(text), code_blocks=tuple(blocks))
