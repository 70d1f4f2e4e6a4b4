"""The Quick Ask window on its own: a question (with a picture of the screen, when the
model can see) goes out once; Enter waits while the answer streams, and says so; Esc and
closing only hide it; a new exchange starts clean; an answer can be copied and read
aloud from its buttons, which Tab reaches, and nothing else that shows no focus. (Its
size, scrolling and keys are in test_quick_ask_view.py; its drafts, "Open in Hearth"
and its key in test_quick_ask_companion.py and tests/e2e/test_companion.py.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QToolButton

from desktop.gui.chat.message_widgets import AssistantMessage
from desktop.gui.quick_ask import TITLE, QuickAskWindow


def window(qtbot) -> QuickAskWindow:
    quick = QuickAskWindow()
    qtbot.addWidget(quick)
    quick.summon()
    assert quick.isVisible() and quick.windowTitle() == TITLE
    return quick


def test_a_question_with_a_picture_goes_out_once_and_enter_waits_while_answering(qtbot):
    quick = window(qtbot)
    picture = QImage(64, 48, QImage.Format.Format_RGB32)
    picture.fill(QColor("#336699"))
    quick.ask_about_screen()  # no model that sees: said, nothing captured
    assert "sees images" in quick.status.text() and quick.screen_ask.picker is None
    quick.vision = True
    quick.add_image(picture, "screen capture")
    assert [(a.width, a.height) for a in quick.thumbnails.items] == [(64, 48)]
    qtbot.keyClicks(quick.edit, "What is this colour?")
    with qtbot.waitSignal(quick.asked) as asked:
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    text, images = asked.args
    assert text == "What is this colour?" and [(i.width, i.height) for i in images] == [(64, 48)]
    assert quick.question.text() == "What is this colour? (1 picture)" and not quick.thumbnails.items
    quick.begin_answer()
    quick.append("Blue")
    qtbot.keyClicks(quick.edit, "And this?")
    assert not quick.hint.isVisible()
    with qtbot.assertNotEmitted(quick.asked):
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    assert quick.edit.toPlainText() == "And this?"
    waiting = "Enter sends once the answer is done"  # the main window's type-ahead hint, under the text
    assert quick.hint.isVisible() and quick.hint.text().startswith(waiting)
    quick.append(", a steel")  # the next words of the answer leave it there (they used to wipe it at once)
    assert quick.hint.isVisible() and quick.hint.text().startswith(waiting)
    quick.finish("Blue, a steel blue.")
    assert quick.answer.text == "Blue, a steel blue." and not quick.hint.isVisible()
    with qtbot.waitSignal(quick.asked) as asked:  # the text that waited goes with the next Enter
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    assert asked.args[0] == "And this?"
    quick.edit.setPlainText("typed ahead before the answer began")
    quick.begin_answer()
    assert quick.hint.isVisible()  # as the main window does, for text that was waiting already
    quick.edit.clear()
    assert not quick.hint.isVisible()  # nothing waits any more


def test_esc_hides_and_it_comes_back_as_it_was_left_until_new_chat(qtbot):
    """Esc (or closing) only hides it: the exchange so far and what was typed come back;
    a follow-up is added below; New chat (Ctrl+N) starts afresh, unless still answering."""
    quick = window(qtbot)
    qtbot.keyClicks(quick.edit, "Name a planet.")
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    quick.begin_answer()
    quick.finish("Mars.")
    quick.saved()
    qtbot.keyClicks(quick.edit, "half typed")
    qtbot.keyClick(quick.edit, Qt.Key.Key_Escape)
    assert not quick.isVisible()
    quick.summon()
    assert quick.edit.toPlainText() == "half typed" and quick.answer.text == "Mars."
    assert quick.open_button.isEnabled()
    quick.edit.clear()
    qtbot.keyClicks(quick.edit, "And another?")
    with qtbot.waitSignal(quick.asked):
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    questions = [w.text() for w in quick.findChildren(QLabel) if w.objectName() == "QuickQuestion"]
    assert questions == ["Name a planet.", "And another?"]  # the whole exchange, in order
    quick.begin_answer()
    with qtbot.assertNotEmitted(quick.newRequested):
        qtbot.keyClick(quick.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    quick.close()
    assert not quick.isVisible()
    quick.finish("Venus.")
    quick.summon()
    with qtbot.waitSignal(quick.newRequested):
        quick.new_button.click()
    assert not [w for w in quick.findChildren(QLabel) if w.objectName() == "QuickQuestion" and w.isVisible()]
    assert not quick.open_button.isEnabled()


def test_a_wide_capture_keeps_a_readable_thumbnail(qtbot):
    """A 430x130 strip of the screen became a 56x17 sliver: thumbnails keep their height."""
    quick = window(qtbot)
    quick.vision = True
    strip = QImage(430, 130, QImage.Format.Format_RGB32)
    strip.fill(QColor("#884422"))
    quick.add_image(strip, "screen capture")
    thumb = next(b for b in quick.findChildren(QToolButton) if b.accessibleName() == "Remove screen capture")
    assert thumb.iconSize().height() == 56 and thumb.iconSize().width() > 150


def test_an_answer_has_the_chats_copy_and_speaker_buttons(qtbot):
    """The chat's own answer widget: no actions while the answer streams; then copy (the
    answer's text on the clipboard, "Copied") and, once the app reads Quick Ask aloud, the
    speaker, which turns into a stop button while something is read (Esc stops it then)."""
    quick = window(qtbot)
    qtbot.keyClicks(quick.edit, "Name a red planet.")
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    quick.begin_answer()
    quick.append("**Mars**")
    answer = quick.answer
    qtbot.waitUntil(answer.isVisible)  # a widget added to a shown layout shows on the next event loop turn
    assert isinstance(answer, AssistantMessage) and not answer.copy_button.isVisibleTo(quick)
    quick.finish("**Mars**, the fourth planet.")
    assert answer.copy_button.isVisibleTo(quick) and answer.actions.revealed  # the last answer's stay in view
    assert not answer.read_button.isVisibleTo(quick)  # nothing would read it yet
    quick.set_read_aloud(True)
    assert answer.read_button.isVisibleTo(quick)
    assert [(b.toolTip(), b.accessibleName()) for b in (answer.copy_button, answer.read_button)] == [
        ("Copy message", "Copy message"), ("Read aloud", "Read aloud")]
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(answer.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "**Mars**, the fourth planet." and answer.copied_label.isVisible()
    with qtbot.waitSignal(quick.readAloudRequested) as read:
        qtbot.mouseClick(answer.read_button, Qt.MouseButton.LeftButton)
    assert read.args == ["**Mars**, the fourth planet."]
    quick.set_speaking(True)
    assert answer.read_button.toolTip() == "Stop reading aloud (Esc)"
    with qtbot.waitSignal(quick.silenceRequested):
        qtbot.keyClick(quick.edit, Qt.Key.Key_Escape)
    assert quick.isVisible()  # Esc stopped the reading; the next one hides
    quick.set_speaking(False)
    assert answer.read_button.toolTip() == "Read aloud"
    qtbot.keyClick(quick.edit, Qt.Key.Key_Escape)
    assert not quick.isVisible()


def test_tab_reaches_an_answers_buttons_in_reading_order(qtbot):
    """From the question, Tab goes to the screen button, through each answer's buttons
    (its content's, then copy and the speaker), to New chat and Open in Hearth, and back:
    no stop where nothing shows the focus (the transcript was one). Space copies."""
    quick = window(qtbot)
    quick.set_read_aloud(True)
    for question, reply in (("One?", "First answer."), ("Two?", "Second:\n\n```python\nprint(2)\n```")):
        quick.edit.setPlainText(question)
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
        quick.begin_answer()
        quick.finish(reply)
    quick.saved()
    qtbot.waitUntil(lambda: len([w for w in quick.findChildren(AssistantMessage) if w.isVisible()]) == 2)
    first, second = [w for w in quick.findChildren(AssistantMessage) if w.isVisible()]
    code_copy = next(b for b in second.view.findChildren(QAbstractButton) if b.isVisibleTo(quick))
    reached = []
    quick.activateWindow()
    quick.edit.setFocus()
    for _ in range(9):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert reached == [quick.capture_button, first.copy_button, first.read_button, code_copy, second.copy_button,
                       second.read_button, quick.new_button, quick.open_button, quick.edit]
    second.copy_button.setFocus()
    qtbot.keyClick(second.copy_button, Qt.Key.Key_Space)
    assert QGuiApplication.clipboard().text() == "Second:\n\n```python\nprint(2)\n```"
