"""AnswerView and CodeBlock offscreen: cheap streaming, code that scrolls, copy, themes, safety."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontMetricsF, QGuiApplication
from PySide6.QtWidgets import QApplication, QScrollArea, QVBoxLayout, QWidget

from desktop.core.markdown_blocks import split_blocks
from desktop.gui.chat import AnswerView, CodeBlock, ProseView
from desktop.gui.chat import code_block as code_block_module
from desktop.gui.theme import Theme


def code_answer(steps: int = 8) -> str:
    parts = []
    for i in range(steps):
        body = "\n".join(f"    value_{k} = compute(items[{k}], scale={k}.5)  # keep {k}" for k in range(6 + i))
        parts.append(f"## Step {i}\n\nNow the **{i}th** helper; it reads `items[{i}]`.\n\n"
                     f"```python\ndef helper_{i}(items):\n{body}\n    return value_0\n```\n\n- one point\n- another\n\n")
    return "".join(parts) + "That's all."


def pieces(text: str, count: int) -> list[str]:
    step = max(1, len(text) // count)
    return [text[:end] for end in range(step, len(text), step)] + [text]


def signature(view: AnswerView) -> list[tuple]:
    return [("code", w.language, w.code) if isinstance(w, CodeBlock) else ("prose", w.markdown) for w in view.widgets]


@pytest.fixture
def theme(qapp):
    """The real theme, light first; the application's look is put back afterwards."""
    saved = (qapp.styleSheet(), qapp.palette(), qapp.font(), qapp.property("hearthScheme"))
    theme = Theme(qapp)
    theme.force("light")
    yield theme
    style_sheet, palette, font, scheme = saved
    qapp.setProperty("hearthScheme", scheme)
    qapp.setStyleSheet(style_sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    theme.deleteLater()


@pytest.fixture
def column(qtbot, theme):
    """An AnswerView in a 760 px reading column inside a scroll area, as the chat has it."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    body = QWidget()
    layout = QVBoxLayout(body)
    view = AnswerView()
    layout.addWidget(view)
    layout.addStretch(1)
    area.setWidget(body)
    area.resize(780, 700)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    yield view  # (qtbot holds widgets weakly: this frame keeps the area alive)


def test_streaming_renders_each_committed_block_once(column, qtbot):
    text = code_answer()
    committed_at: dict[QWidget, int] = {}  # widget -> its render count when committed
    seen: set[QWidget] = set()
    for piece in pieces(text, 200):
        column.set_text(piece, streaming=True)
        seen.update(column.widgets)
        for widget in column.committed_widgets:
            count = widget.renders if isinstance(widget, ProseView) else widget.highlight_passes
            assert committed_at.setdefault(widget, count) == count, "a committed widget was rendered again"
            assert isinstance(widget, ProseView) or count == 1  # code: coloured in full once, when closed
    assert len(committed_at) > 20
    assert len(seen) <= len(split_blocks(text)) + 3  # about one widget per block, ever
    code_widgets = [w for w in column.widgets if isinstance(w, CodeBlock)]
    column.set_text(text, streaming=False)
    assert [w for w in column.widgets if isinstance(w, CodeBlock)][:len(code_widgets)] == code_widgets
    assert all(w.highlight_passes == 1 for w in code_widgets)  # finishing did not colour them again


def test_streamed_result_equals_a_fresh_render(column, qtbot):
    text = code_answer(4) + "\n\n```sh\necho never closed"
    for piece in pieces(text, 150):
        column.set_text(piece, streaming=True)
    column.set_text(text, streaming=False)
    fresh = AnswerView()
    qtbot.addWidget(fresh)
    fresh.set_text(text, streaming=False)
    assert signature(column) == signature(fresh)
    assert [type(w) for w in column.widgets] == [ProseView, CodeBlock] * 4 + [ProseView, CodeBlock]
    assert column.code_blocks == fresh.code_blocks and column.code_blocks[-1] == "echo never closed"
    assert column.plain_text() == fresh.plain_text() and "Step 3" in column.plain_text()
    assert not column.streaming and column.text == text


def test_streaming_code_appends_instead_of_resetting_the_block(column, monkeypatch):
    resets, lexed = [], []
    original_set, original_line = code_block_module._CodeText.setPlainText, code_block_module.highlight_line
    monkeypatch.setattr(code_block_module._CodeText, "setPlainText",
                        lambda self, text: (resets.append(text), original_set(self, text)))
    monkeypatch.setattr(code_block_module, "highlight_line",
                        lambda line, language: (lexed.append(line), original_line(line, language))[1])
    code = "".join(f"print('line {i} of a longer block of code')\n" for i in range(120))
    text = f"```python\n{code}```\n"
    for piece in pieces(text, 200):
        column.set_text(piece, streaming=True)
        assert len(resets) <= 1  # only when the block was created
    (block,) = column.widgets
    assert block.code == code and block.highlight_passes == 1  # closed: full context once
    assert sum(map(len, lexed)) < 3 * len(code)  # changed lines only, not the whole block per delta


def test_a_long_line_scrolls_sideways_and_is_never_wrapped(column, qtbot):
    long_line = "x = [" + ", ".join(str(i) for i in range(90)) + "]"
    assert len(long_line) > 300
    column.set_text(f"Wide:\n\n```python\n{long_line}\nshort = 1\n```\n", streaming=False)
    block = column.widgets[1]
    editor = block.editor
    qtbot.waitUntil(lambda: editor.horizontalScrollBar().isVisible())
    assert editor.document().blockCount() == 2
    assert all(editor.document().findBlockByNumber(n).layout().lineCount() == 1 for n in range(2))  # no wrap
    assert QFontMetricsF(editor.font()).horizontalAdvance(long_line) > block.width() >= editor.viewport().width()
    assert block.width() <= 780
    assert editor.horizontalScrollBar().maximum() > 0 and editor.verticalScrollBar().maximum() == 0
    line = editor.document().documentLayout().blockBoundingRect(editor.document().firstBlock()).height()
    assert editor.viewport().height() >= 2 * line  # both lines show, above the scroll bar


def test_everything_shows_without_scrolling_inside(column, qtbot):
    column.set_text(code_answer(3) + "\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n" + "Words. " * 200, streaming=False)
    for width in (780, 420):
        column.window().resize(width, 700)
        QApplication.processEvents()
        for widget in column.widgets:
            scroller = widget.editor if isinstance(widget, CodeBlock) else widget
            qtbot.waitUntil(lambda s=scroller: s.verticalScrollBar().maximum() == 0)
            if isinstance(widget, ProseView):
                assert widget.document().size().height() <= widget.viewport().height()
        qtbot.waitUntil(lambda: column.height() >= sum(w.height() for w in column.widgets))


def test_code_header_language_and_copy(column, qtbot, monkeypatch):
    monkeypatch.setattr(CodeBlock, "COPIED_MS", 50)
    code = 'def f(x):\n    return "\\t" + x  # exact\n'
    column.set_text(f"```python\n{code}```\n\n```\nplain\n```", streaming=False)
    block, plain = column.widgets
    assert block.language_label.text() == "python" and plain.language_label.text() == "text"
    assert block.copy_button.accessibleName() == "Copy code"
    with qtbot.waitSignal(block.copied):
        block.copy_button.click()
    assert QGuiApplication.clipboard().text() == code
    assert not block.copied_label.isHidden() and block.copy_button.toolTip() == "Copied"
    qtbot.waitUntil(lambda: block.copied_label.isHidden())
    assert block.copy_button.toolTip() == "Copy code"


def test_dark_and_light_colour_code_and_prose_differently(column, theme, qtbot):
    column.set_text("Use `os`:\n\n```python\nimport os  # comment\n```", streaming=False)
    prose, block = column.widgets

    def colours() -> list[str]:
        layout = block.editor.document().firstBlock().layout()
        return [r.format.foreground().color().name() for r in layout.formats()]

    light, light_html, renders = colours(), prose.toHtml(), prose.renders
    theme.force("dark")
    assert colours() != light and len(colours()) == len(light) > 2
    assert prose.renders == renders + 1 and prose.toHtml() != light_html
    theme.force("light")
    assert colours() == light


def test_untrusted_html_shows_as_text_and_nothing_is_loaded(column, monkeypatch):
    loads, opened = [], []
    monkeypatch.setattr(ProseView, "loadResource", lambda self, kind, url: loads.append(url))
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    text = ('<script>alert(1)</script> <img src="http://evil/x.png"> ![pixel](http://evil/p.png)\n\n'
            "[bad](javascript:alert(1)) [good](https://example.org)")
    column.set_text(text, streaming=False)
    (prose,) = column.widgets
    shown = prose.toPlainText()
    assert "<script>alert(1)</script>" in shown and '<img src="http://evil/x.png">' in shown
    assert "[image: pixel]" in shown
    html = prose.toHtml()
    assert "<img" not in html.replace("&lt;img", "") and 'href="javascript' not in html
    assert loads == []
    for url in ("javascript:alert(1)", "file:///etc/passwd", "http://evil/p.png", "https://example.org"):
        prose.anchorClicked.emit(QUrl(url))
    assert opened == ["http://evil/p.png", "https://example.org"]  # only on click, only web links


def test_new_text_that_is_not_a_continuation_starts_over(column):
    column.set_text("First answer.\n\nWith two paragraphs.\n\nAnd", streaming=True)
    column.set_text("Something else", streaming=True)
    assert column.plain_text() == "Something else"
    column.set_text("Something else entirely.", streaming=False)
    column.set_text("A regenerated answer.", streaming=False)
    assert column.plain_text() == "A regenerated answer." and len(column.widgets) == 1
