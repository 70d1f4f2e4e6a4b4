"""type_to_composer: in a window with a composer, a button, a read-only text and a field
of its own, a letter typed while the button or the read-only text has the focus is typed
into the composer, which takes the focus; Space still presses the button, a shortcut key
(Ctrl+C) and Enter are not typing, the other field keeps its own typing, and a window
without the filter is left as it was."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from desktop.gui.type_to_composer import type_to_composer


def make_window(qtbot, *, filtered: bool = True) -> tuple[QWidget, QPlainTextEdit, QPushButton, QTextBrowser, QLineEdit]:
    window = QWidget()
    qtbot.addWidget(window)
    composer, button, reading, field = QPlainTextEdit(), QPushButton("Copy"), QTextBrowser(), QLineEdit()
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    reading.setPlainText("An answer to read")
    layout = QVBoxLayout(window)
    for widget in (composer, button, reading, field):
        layout.addWidget(widget)
    if filtered:
        type_to_composer(window, composer)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window, composer, button, reading, field


def type_keys(qtbot, text: str) -> None:
    """Each key to the widget that has the focus at that moment, as a keyboard sends it."""
    for key in text:
        qtbot.keyClicks(QApplication.focusWidget(), key)


def test_letters_typed_on_a_button_or_a_read_only_text_go_to_the_composer(qtbot):
    _window, composer, button, reading, _field = make_window(qtbot)
    composer.setPlainText("Hello ")
    composer.moveCursor(composer.textCursor().MoveOperation.End)
    button.setFocus()
    type_keys(qtbot, "world")
    assert composer.toPlainText() == "Hello world" and composer.hasFocus()
    reading.setFocus()
    type_keys(qtbot, "!É")
    assert composer.toPlainText() == "Hello world!É" and composer.hasFocus()


def test_space_enter_shortcuts_and_other_fields_keep_their_keys(qtbot):
    _window, composer, button, reading, field = make_window(qtbot)
    button.setFocus()
    with qtbot.waitSignal(button.clicked):
        qtbot.keyClick(button, Qt.Key.Key_Space)  # pressed, as always
    assert button.hasFocus() and composer.toPlainText() == ""
    qtbot.keyClick(button, Qt.Key.Key_Return)
    qtbot.keyClick(button, Qt.Key.Key_Escape)
    reading.setFocus()
    reading.selectAll()
    qtbot.keyClick(reading, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)  # copies; nothing typed
    qtbot.keyClick(reading, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    assert reading.hasFocus() and composer.toPlainText() == ""
    field.setFocus()
    type_keys(qtbot, "search")
    assert field.text() == "search" and field.hasFocus() and composer.toPlainText() == ""


def test_altgr_signs_are_typing(qtbot):
    """Windows reports AltGr as Ctrl+Alt: "@" typed so on a German keyboard is a letter."""
    _window, composer, button, _reading, _field = make_window(qtbot)
    button.setFocus()
    altgr = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    QApplication.sendEvent(button, QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_At, altgr, "@"))
    assert composer.toPlainText() == "@" and composer.hasFocus()


def test_without_it_the_letters_are_lost(qtbot):
    """What the filter changes: the same window without it drops them."""
    _window, composer, button, _reading, _field = make_window(qtbot, filtered=False)
    button.setFocus()
    type_keys(qtbot, "lost")
    assert composer.toPlainText() == "" and button.hasFocus()
