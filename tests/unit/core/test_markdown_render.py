from __future__ import annotations

from desktop.core.markdown_render import render_markdown


def test_basic_markdown():
    out = render_markdown("Some **bold** and `code`.\n\n- one\n- two")
    assert "<strong>bold</strong>" in out.html and "<code>code</code>" in out.html
    assert out.html.count("<li>") == 2


def test_raw_html_from_the_model_is_escaped():
    out = render_markdown('<script>alert(1)</script> <img src="http://evil/x.png"> <b>hi</b>')
    assert "<script>" not in out.html and "<img" not in out.html and "<b>" not in out.html
    assert "&lt;script&gt;" in out.html


def test_markdown_images_are_never_loaded():
    out = render_markdown("![tracker](https://example.com/pixel.png)")
    assert "<img" not in out.html
    assert '<a href="https://example.com/pixel.png">[image: tracker]</a>' in out.html


def test_dangerous_links_are_not_links():
    out = render_markdown("[click](javascript:alert(1)) and [ok](https://example.org)")
    assert "href=\"javascript" not in out.html  # left as plain text, not a link
    assert '<a href="https://example.org">ok</a>' in out.html


def test_code_blocks_are_highlighted_and_copyable():
    source = "def f(x):\n    return x + 1\n"
    out = render_markdown(f"Here:\n\n```python\n{source}```\n\nand\n\n```\nplain\n```")
    assert out.code_blocks == (source, "plain\n")
    assert 'href="copy:0"' in out.html and 'href="copy:1"' in out.html
    assert "style=" in out.html and "<span" in out.html  # inline Pygments colours
    assert "python · " in out.html


def test_unknown_language_still_renders():
    out = render_markdown("```nosuchlang\nx = 1\n```")
    assert "x = 1" in out.html


def test_dark_and_light_styles_differ():
    text = "```python\nimport os\n```"
    assert render_markdown(text, dark=True).html != render_markdown(text, dark=False).html
