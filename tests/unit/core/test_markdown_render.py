from __future__ import annotations

from pygments.token import Comment, Keyword, String

from desktop.core.code_highlight import highlight_line, highlight_lines, lexer_for, style_name, token_style
from desktop.core.markdown_render import ProseStyle, prose_stylesheet, render_prose


def test_basic_markdown():
    out = render_prose("Some **bold** and `code`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<strong>bold</strong>" in out and "<code>code</code>" in out
    assert out.count("<li>") == 2 and "<table>" in out and "<td>1</td>" in out


def test_headings_are_classed_paragraphs_because_qt_fixes_heading_sizes():
    out = render_prose("# Title\n\n### Small")
    assert '<p class="h1">Title</p>' in out and '<p class="h3">Small</p>' in out and "<h1" not in out


def test_raw_html_from_the_model_is_escaped():
    out = render_prose('<script>alert(1)</script> <img src="http://evil/x.png"> <b>hi</b>\n\n<div>block</div>')
    assert "<script>" not in out and "<img" not in out and "<b>" not in out and "<div>" not in out
    assert "&lt;script&gt;" in out and "&lt;div&gt;" in out


def test_markdown_images_are_never_loaded():
    out = render_prose("![tracker](https://example.com/pixel.png) ![](data:image/png;base64,AAAA)")
    assert "<img" not in out
    assert '<a href="https://example.com/pixel.png">[image: tracker]</a>' in out


def test_dangerous_links_are_not_links():
    out = render_prose("[click](javascript:alert(1)) [f](file:///etc/passwd) and [ok](https://example.org)")
    assert 'href="javascript' not in out and 'href="file' not in out  # left as plain text, not links
    assert '<a href="https://example.org">ok</a>' in out


def test_code_nested_in_a_list_is_highlighted_and_dark_differs_from_light():
    text = "1. Run:\n   ```python\n   import os\n   ```"
    light, dark = render_prose(text, dark=False), render_prose(text, dark=True)
    assert "<pre>" in light and "<span" in light and "style=" in light  # inline Pygments colours
    assert light != dark


def test_unknown_language_still_renders():
    assert "x = 1" in render_prose("- ```nosuchlang\n  x = 1\n  ```")


def test_stylesheet_uses_the_given_colours_and_size():
    css = prose_stylesheet(ProseStyle(body_px=15, inline_code="#eff1f3", border="#d9dbe0", code_bg="#f6f8fa",
                                      muted="#6b7280"))
    assert "code { background-color: #eff1f3; }" in css
    assert "border-color: #d9dbe0" in css and "padding: 6px 10px" in css
    assert "line-height: 150%" in css and "p.h1 { font-size: 22px; }" in css


def test_full_context_highlighting_sees_multiline_strings():
    code = 'x = """first\nsecond"""  # done\nimport os'
    lines = highlight_lines(code, "python")
    assert len(lines) == 3
    assert any(token in String for _s, _n, token in lines[1])  # inside the string, with context
    assert not any(token in String for _s, _n, token in highlight_line("second\"\"\"  # done", "python")[:1])
    assert (11, 6, Comment.Single) in lines[1]
    assert (0, 6, Keyword.Namespace) in lines[2]


def test_spans_count_code_points_and_unknown_languages_are_plain():
    assert highlight_line("s = '😀' + x  # c", "python")[-1] == (13, 3, Comment.Single)
    assert highlight_lines("just text\nmore", "nosuchlang") == [(), ()]
    assert lexer_for("C++").name == lexer_for("cpp").name == "C++"


def test_light_and_dark_styles_colour_keywords_differently():
    light, dark = token_style(style_name(False), Keyword), token_style(style_name(True), Keyword)
    assert light.color and dark.color and light.color != dark.color
