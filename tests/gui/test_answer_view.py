"""AnswerView and CodeBlock offscreen: cheap streaming, code that scrolls, copy, themes, safety."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontMetricsF, QGuiApplication
from PySide6.QtWidgets import QApplication, QScrollArea, QTextEdit, QVBoxLayout, QWidget

from desktop.core.conversation import Message
from desktop.core.markdown_blocks import CODE_LINES, PROSE_CHARS, split_blocks
from desktop.gui.chat import AnswerView, CodeBlock, ProseView
from desktop.gui.chat import answer_view as answer_view_module
from desktop.gui.chat import code_block as code_block_module
from desktop.gui.chat import plain_view as plain_view_module
from desktop.gui.chat.message_widgets import AssistantMessage
from desktop.gui.chat.plain_view import PlainView


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
    return [("code", w.language, w.code) if isinstance(w, CodeBlock) else
            ("plain", w.note.text(), w.source) if isinstance(w, PlainView) else ("prose", w.markdown)
            for w in view.widgets]


@pytest.fixture
def rendered(monkeypatch) -> list[int]:
    """The size of each Markdown text the answer view renders."""
    sizes: list[int] = []
    real = answer_view_module.render_prose
    monkeypatch.setattr(answer_view_module, "render_prose",
                        lambda markdown, dark=False: (sizes.append(len(markdown)), real(markdown, dark=dark))[1])
    return sizes


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


def test_a_megabyte_answer_opens_as_plain_text_and_copy_copies_all_of_it(theme, qtbot, rendered):
    text = "Here is the answer:\n\n" + "[" * 1_000_000
    bubble = AssistantMessage(Message.assistant(text), 1)  # as a stored answer opens from the sidebar
    qtbot.addWidget(bubble)
    prose, plain = bubble.view.widgets
    assert isinstance(prose, ProseView) and isinstance(plain, PlainView)
    assert set(rendered) == {len("Here is the answer:\n\n")}  # the brackets never reach markdown-it
    assert plain.note.text() == "Long answer: shown as plain text from here on."
    shown = plain.editor.toPlainText()
    assert shown.replace("\n", "") == "[" * PlainView.SHOWN_CHARS
    lines = [len(line) for line in shown.split("\n")]  # a long line is laid out in pieces, not whole
    assert plain.editor.document().blockCount() == len(lines) > 1 and max(lines) <= plain.editor.CHUNK
    assert not plain.more.isHidden() and "900,000 more characters" in plain.more.text()
    assert bubble.view.plain_text() == text
    bubble.copy_button.click()
    assert QGuiApplication.clipboard().text() == text


def test_streaming_a_flood_switches_to_plain_text_and_stops_rendering(column, qtbot, rendered):
    text = "Intro.\n\n" + "[" * 80_000
    for piece in pieces(text, 40):
        column.set_text(piece, streaming=True)
        assert "".join(w.source if isinstance(w, PlainView) else w.markdown for w in column.widgets) == piece
    assert max(rendered) <= PROSE_CHARS + 8 and len(rendered) < 15  # never the whole flood, rarely at all
    column.set_text(text, streaming=False)
    fresh = AnswerView()
    qtbot.addWidget(fresh)
    fresh.set_text(text, streaming=False)
    assert signature(column) == signature(fresh) == [("prose", "Intro.\n\n"), ("plain", NOTE, text[8:])]
    assert column.widgets[1].editor.toPlainText() == fresh.widgets[1].editor.toPlainText()  # appended alike


NOTE = "Long answer: shown as plain text from here on."


def test_streaming_an_unclosed_hostile_fence_colours_at_most_the_limit(column, monkeypatch):
    lexed: list[int] = []
    resets: list[str] = []
    line, lines = code_block_module.highlight_line, code_block_module.highlight_lines
    monkeypatch.setattr(code_block_module, "highlight_line", lambda t, lang: (lexed.append(1), line(t, lang))[1])
    monkeypatch.setattr(code_block_module, "highlight_lines",
                        lambda t, lang: (lexed.append(t.count("\n") + 1), lines(t, lang))[1])
    original_set = QTextEdit.setPlainText
    monkeypatch.setattr(plain_view_module._PlainText, "setPlainText",
                        lambda self, t: (resets.append(t), original_set(self, t)))
    text = "Intro.\n\n```python\n" + "".join(f"x_{i} = {i}\n" for i in range(CODE_LINES * 2))
    for piece in pieces(text, 150):
        column.set_text(piece, streaming=True)
    prose, plain = column.widgets
    assert isinstance(prose, ProseView) and isinstance(plain, PlainView)
    assert plain.source == text[8:] and plain.editor.toPlainText() == text[8:]
    assert len(resets) == 1  # created once, then appended to
    assert sum(lexed) < CODE_LINES * 3 // 2  # the lines before the switch, never all 4,000
    column.set_text(text, streaming=False)
    assert [type(w) for w in column.widgets] == [ProseView, PlainView] and column.plain_text() == text.strip()


def test_a_long_open_paragraph_is_rendered_again_only_as_it_grows_by_a_quarter(column, qtbot):
    text = " ".join(f"word{i} **bold{i}**" for i in range(700))
    assert 12_000 < len(text) < PROSE_CHARS
    for piece in pieces(text, 300):
        column.set_text(piece, streaming=True)
        (view,) = column.widgets
        newest = piece.rsplit(" ", 1)[-1].strip("*")
        assert newest in view.toPlainText()[-40:]  # the newest words show at once, formatted or not
    assert view.renders < 80  # about 45 while short, then a handful; not one per delta (300)
    renders = view.renders
    column.set_text(text, streaming=False)
    assert view.renders == renders + 1 and "**" not in view.toPlainText()
    fresh = AnswerView()
    qtbot.addWidget(fresh)
    fresh.set_text(text, streaming=False)
    assert column.plain_text() == fresh.plain_text() and signature(column) == signature(fresh)


def test_nesting_too_deep_to_format_shows_its_words_as_plain_text(column):
    column.set_text("Intro.\n\n" + "> " * 40 + "the deepest words\n\nafter", streaming=False)
    prose, plain = column.widgets
    assert isinstance(prose, ProseView) and isinstance(plain, PlainView)
    assert plain.note.text().startswith("Nested too deeply to format")
    assert "the deepest words" in plain.editor.toPlainText() and plain.more.isHidden()


def test_text_appended_to_an_open_block_goes_when_the_block_loses_it(theme, qtbot):
    view = ProseView()
    qtbot.addWidget(view)
    view.resize(700, 100)
    base = "Some words to read. " * 120
    view.set_markdown(base)
    assert view.renders == 1  # once, also while the stylesheet polishes it
    view.set_markdown(base + "More\n\n``", eager=False)  # grew a little: appended, not rendered
    assert view.renders == 1 and view.toPlainText().endswith("More\n\n``")
    view.set_markdown(base, eager=False)  # "``" became a code block of its own
    assert view.renders == 2 and view.toPlainText().rstrip().endswith("read.")
