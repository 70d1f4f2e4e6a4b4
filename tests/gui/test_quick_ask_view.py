"""Quick Ask as it is seen and used from the keyboard: one width, centred where it opened,
and a height that follows the exchange up to a cap; the view follows a new question and
its streaming answer, unless the reader scrolled up; Enter presses a focused button; a
letter typed after clicking the exchange lands in the composer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desktop.gui.quick_ask import MAX_HEIGHT, WIDTH, QuickAskWindow

LONG_ANSWER = "\n\n".join(
    [f"**Step {n}.** Light is absorbed by chlorophyll in the thylakoid membranes, and its energy splits "
     "water, releasing oxygen and making ATP and NADPH for the Calvin cycle in the stroma." for n in range(1, 13)]
    + ["```python\nprint('a long line of code that does not wrap, so that the code block wants to be wider')\n```"])


def window(qtbot) -> QuickAskWindow:
    quick = QuickAskWindow()
    qtbot.addWidget(quick)
    quick.summon()
    qtbot.waitExposed(quick)
    return quick


def ask(qtbot, quick: QuickAskWindow, question: str) -> QLabel:
    quick.edit.setPlainText(question)
    with qtbot.waitSignal(quick.asked):
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    quick.begin_answer()
    return quick.question


def in_view(quick: QuickAskWindow, widget: QWidget) -> bool:
    """All of `widget` is inside the transcript's visible part."""
    top = widget.mapTo(quick.scroll.viewport(), QPoint(0, 0)).y()
    return widget.isVisible() and top >= 0 and top + widget.height() <= quick.scroll.viewport().height()


def space_below(quick: QuickAskWindow, widget: QWidget) -> int:
    """The transcript's empty height under `widget` (a gap above the buttons)."""
    return quick.scroll.viewport().height() - (widget.mapTo(quick.scroll.viewport(), QPoint(0, 0)).y() + widget.height())


def stream(qtbot, quick: QuickAskWindow, text: str) -> None:
    for start in range(0, len(text), 60):
        quick.append(text[start:start + 60])
        QApplication.processEvents()  # laid out between deltas, as between the session's batches


def test_one_width_centred_where_it_opened_and_a_height_that_follows_the_exchange(qtbot):
    """It used to open as a 620x420 box, empty or not, and a long status line (the hint
    that Enter waits) widened it to 664 px, off centre. Now: the composer alone at
    first; taller with each exchange, up to MAX_HEIGHT (then it scrolls); never wider;
    back to the composer alone on New chat."""
    quick = window(qtbot)
    room = quick.screen().availableGeometry()
    centre_x = room.x() + room.width() // 2
    empty = quick.height()
    assert quick.width() == WIDTH and abs(quick.geometry().center().x() - centre_x) <= 1
    assert empty < 200 and not quick.scroll.isVisible()
    ask(qtbot, quick, "Short question?")
    quick.append("Yes")  # "Thinking…" gives way to the words: the height follows both ways
    QApplication.processEvents()
    quick.finish("Yes.")
    qtbot.waitUntil(lambda: quick.height() > empty and 0 <= space_below(quick, quick.answer) < 8)
    assert quick.scroll.verticalScrollBar().maximum() == 0
    one_exchange = quick.height()
    ask(qtbot, quick, "Write a detailed explanation of photosynthesis, step by step.")
    quick.edit.setPlainText("And in the dark? " * 8)
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)  # waits: the long hint shows, and wraps
    stream(qtbot, quick, LONG_ANSWER)
    assert quick.hint.isVisible() and quick.width() == WIDTH
    quick.finish(LONG_ANSWER)
    quick.show_notice("Nothing can be read aloud: no voice is installed (Settings → Voice). " * 2)
    qtbot.waitUntil(lambda: quick.height() > one_exchange)
    assert quick.width() == WIDTH and abs(quick.geometry().center().x() - centre_x) <= 1
    assert quick.height() <= MAX_HEIGHT and quick.geometry().bottom() < room.bottom()
    assert quick.scroll.verticalScrollBar().maximum() > 0  # at the cap, the exchange scrolls
    quick.new_button.click()
    assert quick.edit.toPlainText().startswith("And in the dark?")  # New chat keeps what is typed: two lines
    qtbot.waitUntil(lambda: quick.height() > empty and not quick.scroll.isVisible())
    quick.edit.clear()
    qtbot.waitUntil(lambda: quick.height() == empty)  # one line again: no gap left under the buttons
    assert quick.width() == WIDTH


def test_the_view_follows_a_new_question_and_its_answer_unless_the_reader_scrolled_up(qtbot):
    """A long answer after a short one streamed below the visible part and stayed there,
    and a follow-up showed the previous question. Now the new question comes into view,
    the answer is followed to its end; scrolled up, the reader is left where they read."""
    quick = window(qtbot)
    ask(qtbot, quick, "Short question?")
    quick.finish("Yes.")
    question = ask(qtbot, quick, "Write a detailed explanation of photosynthesis…")
    qtbot.waitUntil(lambda: in_view(quick, question))
    bar = quick.scroll.verticalScrollBar()
    stream(qtbot, quick, LONG_ANSWER)
    assert bar.maximum() > 0 and bar.value() == bar.maximum()  # the newest words in view
    quick.finish(LONG_ANSWER)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and in_view(quick, quick.answer.copy_button))

    follow_up = ask(qtbot, quick, "And what does the Calvin cycle make?")
    qtbot.waitUntil(lambda: in_view(quick, follow_up))
    quick.append("Sugar. ")
    QApplication.processEvents()
    bar.setValue(bar.maximum() // 3)  # the reader scrolls up to read the long answer again
    reading = bar.value()
    stream(qtbot, quick, LONG_ANSWER)
    quick.finish("Sugar. " + LONG_ANSWER)
    QApplication.processEvents()
    assert bar.value() == reading  # not pulled away from where they read
    bar.setValue(bar.maximum())  # back at the bottom: followed again
    ask(qtbot, quick, "Thanks!")
    stream(qtbot, quick, LONG_ANSWER)
    assert bar.value() == bar.maximum()


def test_enter_presses_the_focused_button_as_space_does(qtbot):
    """Copy, the speaker, New chat and Open in Hearth took Space and ignored Enter."""
    quick = window(qtbot)
    quick.set_read_aloud(True)
    ask(qtbot, quick, "Name a planet.")
    quick.finish("Mars.")
    quick.saved()
    answer = quick.answer
    qtbot.waitUntil(answer.copy_button.isVisible)
    QGuiApplication.clipboard().clear()
    answer.copy_button.setFocus()
    qtbot.keyClick(answer.copy_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == "Mars.")
    answer.read_button.setFocus()
    with qtbot.waitSignal(quick.readAloudRequested):
        qtbot.keyClick(answer.read_button, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    quick.open_button.setFocus()
    with qtbot.waitSignal(quick.openRequested):
        qtbot.keyClick(quick.open_button, Qt.Key.Key_Return)
    quick.new_button.setFocus()
    with qtbot.waitSignal(quick.newRequested):
        qtbot.keyClick(quick.new_button, Qt.Key.Key_Return)
    quick.edit.setPlainText("Shift+Enter is a new line in the field, never a button")
    quick.capture_button.setFocus()
    with qtbot.assertNotEmitted(quick.asked):
        qtbot.keyClick(quick.capture_button, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)


def test_letters_typed_after_clicking_the_exchange_go_to_the_composer(qtbot):
    """After a click in the answer, or with a copy button focused, typed letters were dropped."""
    quick = window(qtbot)
    ask(qtbot, quick, "Name a planet.")
    quick.finish("Mars is the fourth planet.")
    answer = quick.answer
    qtbot.waitUntil(answer.copy_button.isVisible)
    quick.activateWindow()
    qtbot.waitUntil(quick.isActiveWindow)
    answer.copy_button.setFocus(Qt.FocusReason.TabFocusReason)  # reached with Tab (a click leaves the focus)
    for key in "And Venus":  # each to the widget with the focus, as a keyboard does
        qtbot.keyClicks(QApplication.focusWidget(), key)
    assert quick.edit.toPlainText() == "And Venus" and quick.edit.hasFocus()
    prose = answer.view.findChildren(QWidget, "ProseText")[0]
    qtbot.mouseClick(prose.viewport(), Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is prose
    qtbot.keyClicks(prose, "?")  # the answer's text is read-only: typing there was lost
    assert quick.edit.toPlainText() == "And Venus?" and quick.edit.hasFocus()
