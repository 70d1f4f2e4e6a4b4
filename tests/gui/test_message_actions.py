"""Message actions: icon buttons with names and tooltips, shown on hover or keyboard
focus (always under the last answer), "Copied" after copying. Real widgets."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QEnterEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from desktop.core.conversation import Message
from desktop.gui.main_window import MainWindow


def hover(widget, inside: bool) -> None:
    if inside:
        QApplication.sendEvent(widget, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    else:
        from PySide6.QtCore import QEvent

        QApplication.sendEvent(widget, QEvent(QEvent.Type.Leave))


def test_actions_show_on_hover_and_focus_and_copy_says_copied(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    question = window.chat.add_message(Message.user("What is 2+2?"))
    answer = window.chat.add_message(Message.assistant("It is **4**."))
    older = window.chat.add_message(Message.user("And 3+3?"))
    last = window.chat.add_message(Message.assistant("6."))
    for button in (question.copy_button, question.edit_button, answer.copy_button, last.regenerate_button):
        assert button.accessibleName() and button.toolTip()
    assert not question.actions.revealed and not answer.actions.revealed
    assert last.actions.revealed and last.regenerate_button.isVisibleTo(window)  # the last answer's stay
    assert not answer.regenerate_button.isVisibleTo(window)  # Regenerate only on the last answer
    hover(question, True)
    assert question.actions.revealed
    hover(question, False)
    assert not question.actions.revealed
    older.edit_button.setFocus()  # Tab reaches a faded button: it shows
    qtbot.waitUntil(lambda: older.actions.revealed)
    qtbot.mouseClick(answer.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "It is **4**."
    assert answer.copy_button.toolTip() == "Copied" and answer.copied_label.isVisibleTo(window)
    qtbot.waitUntil(lambda: answer.copy_button.toolTip() == "Copy message", timeout=3_000)
    assert not answer.copied_label.isVisibleTo(window)


def test_the_conversation_shows_a_focus_ring(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.chat.setFocus()
    qtbot.waitUntil(lambda: window.chat.widget().property("focused") is True)
    window.composer.edit.setFocus()
    qtbot.waitUntil(lambda: window.chat.widget().property("focused") is False)


def test_a_click_in_the_conversation_draws_no_focus_ring(qtbot):
    """A ring answers Tab (where did the keyboard go?); under a click it only framed the
    whole conversation in blue."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.chat.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(lambda: window.chat.hasFocus())
    assert window.chat.widget().property("focused") is False
    window.composer.edit.setFocus()
    window.chat.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: window.chat.widget().property("focused") is True)


def test_a_white_picture_waiting_in_the_composer_has_a_visible_frame(qtbot, theme):
    """A capture of a white page on the light composer was an invisible thumbnail."""
    from PySide6.QtGui import QColor, QImage

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(900, 640)
    window.show()
    window.set_vision(True)
    white = QImage(400, 300, QImage.Format.Format_RGB32)
    white.fill(QColor("white"))
    window.composer.add_image(white, "screen")
    thumbnail = window.composer.findChild(QWidget, "Thumbnail")
    assert thumbnail is not None
    qtbot.waitUntil(thumbnail.isVisible)
    shot = window.composer.grab().toImage()  # as drawn on the composer, not on its own
    left = thumbnail.mapTo(window.composer, thumbnail.rect().topLeft())
    edge = [shot.pixelColor(left.x(), left.y() + y).lightness() for y in range(4, thumbnail.height() - 4)]
    assert min(edge) < 235, edge  # its border shows against the white composer


def test_letters_typed_after_clicking_a_message_go_to_the_composer(qtbot):
    """After a click in the conversation (or on a copy button) typing went nowhere."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.chat.add_message(Message.user("What is 2+2?"))
    window.chat.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(window.chat.hasFocus)
    for letter in "and 3?":  # to whatever has the focus, as a keyboard types
        qtbot.keyClicks(QApplication.focusWidget(), letter)
    assert window.composer.edit.toPlainText() == "and 3?"
    assert window.composer.edit.hasFocus()
