"""Model output (untrusted Markdown) to the HTML subset Qt's rich text shows.

markdown-it-py with raw HTML disabled, so a model cannot inject markup; images are
never loaded (they become a plain link, so nothing is fetched); links are kept (markdown-it
drops javascript:, vbscript:, file: and data: ones) and opened by the window only when
clicked. Code is highlighted by Pygments with inline styles (Qt's rich text has no
stylesheet cascade for spans).

`render_prose` renders the prose between code blocks for `gui.chat.AnswerView` (top-level
code gets its own widget there; code nested in a list stays in the prose and wraps); its
look comes from `prose_stylesheet`, set as the document's default stylesheet.

Its callers keep to the limits of `core.markdown_blocks` (what is over them is shown as
plain text); as a second line of defence, text over `RICH_CHARS` is escaped, not parsed,
code too big to colour (`core.code_highlight.highlightable`) is escaped, not lexed, and
markdown-it nests at most `MAX_NESTING` levels.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter

from desktop.core.code_highlight import highlightable, lexer_for, style_name
from desktop.core.markdown_blocks import MAX_NESTING, RICH_CHARS

__all__ = ["ProseStyle", "prose_stylesheet", "render_prose"]


@dataclass(frozen=True)
class ProseStyle:
    """The colours and size prose is drawn with (the GUI fills it from its palette)."""

    body_px: int
    inline_code: str  # faint background of `inline code`
    border: str  # table rules
    code_bg: str  # background of code nested in a list
    muted: str  # block quotes


def render_prose(text: str, *, dark: bool = False) -> str:
    """Prose as Qt rich text; code nested in it is highlighted and wraps (see the stylesheet)."""

    if len(text) > RICH_CHARS:  # callers split long answers; never parse without a bound
        return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"

    def code(token: Any) -> str:
        return f"<pre>{_highlight(token.content, _language(token), dark)}</pre>"

    return _markdown().render(text, {"code": code})


def prose_stylesheet(style: ProseStyle) -> str:
    """CSS for a QTextDocument showing `render_prose` output: spaced like a document."""
    px = style.body_px
    return f"""
p {{ margin-top: 0px; margin-bottom: {round(px * 0.75)}px; line-height: 150%; }}
li {{ margin-bottom: 4px; line-height: 150%; }}
ul, ol {{ margin-top: 0px; margin-bottom: {round(px * 0.75)}px; }}
p.h1, p.h2, p.h3, p.h4, p.h5, p.h6 {{ font-weight: 600; margin-top: {px}px; margin-bottom: 6px; line-height: 125%; }}
p.h1 {{ font-size: {round(px * 1.5)}px; }}
p.h2 {{ font-size: {round(px * 1.3)}px; }}
p.h3 {{ font-size: {round(px * 1.15)}px; }}
code {{ background-color: {style.inline_code}; }}
pre {{ background-color: {style.code_bg}; white-space: pre-wrap; font-size: {px - 1}px;
      margin-top: 4px; margin-bottom: {round(px * 0.75)}px; }}
table {{ border-collapse: collapse; border-style: solid; border-color: {style.border};
        margin-top: 4px; margin-bottom: {round(px * 0.75)}px; }}
th, td {{ padding: 6px 10px; border-width: 1px; border-style: solid; border-color: {style.border}; }}
th {{ font-weight: 600; }}
blockquote {{ color: {style.muted}; margin-left: 16px; margin-right: 0px; }}
"""


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """One parser (building one costs more than a short render); code is drawn by `env["code"]`."""
    options = {"html": False, "breaks": True, "maxNesting": MAX_NESTING}
    md = MarkdownIt("commonmark", options).enable(["table", "strikethrough"])

    def fence(_renderer: Any, tokens: Sequence[Any], idx: int, _options: Any, env: Any) -> str:
        return env["code"](tokens[idx])

    def image(_renderer: Any, tokens: Sequence[Any], idx: int, _options: Any, _env: Any) -> str:
        token = tokens[idx]
        alt = html.escape(token.content or "image")
        src = html.escape(str(token.attrGet("src") or ""), quote=True)
        return f'<a href="{src}">[image: {alt}]</a>' if src else f"[image: {alt}]"

    def heading_open(_renderer: Any, tokens: Sequence[Any], idx: int, _options: Any, _env: Any) -> str:
        return f'<p class="{tokens[idx].tag}">'  # Qt fixes <hN> sizes (xx-large...); a class it styles

    def heading_close(_renderer: Any, _tokens: Sequence[Any], _idx: int, _options: Any, _env: Any) -> str:
        return "</p>\n"

    md.add_render_rule("fence", fence)
    md.add_render_rule("code_block", fence)
    md.add_render_rule("image", image)
    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    return md


def _language(token: Any) -> str:
    return token.info.split()[0] if token.type == "fence" and token.info.strip() else ""


def _highlight(code: str, language: str, dark: bool) -> str:
    if not highlightable(code):
        return html.escape(code, quote=False)
    formatter = HtmlFormatter(noclasses=True, style=style_name(dark), nowrap=True)
    return highlight(code, lexer_for(language), formatter)
