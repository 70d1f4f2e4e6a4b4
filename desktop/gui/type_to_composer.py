"""Typing goes to the composer, as in chat apps: a printable key pressed while a button
or the read-only transcript has the focus is typed into the composer, which takes the
focus. Without it the letters typed after clicking a message or a copy button vanished.

Only keys the focused widget leaves unhandled reach its window, so the filter sits on
the window and sees nothing else: a text field keeps its own typing, a button keeps
Space (which presses it) and Enter, a shortcut keeps its keys.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["type_to_composer"]

_Mod = Qt.KeyboardModifier
_TYPING = _Mod.ShiftModifier | _Mod.KeypadModifier | _Mod.GroupSwitchModifier  # still plain typing
_ALT_GR = _Mod.ControlModifier | _Mod.AltModifier  # how Windows reports AltGr (@, €, { on many layouts)


def type_to_composer(window: QWidget, edit: QWidget) -> QObject:
    """Make printable keys that `window`'s widgets leave unhandled go to `edit` (the
    composer's text field). Returns the filter (owned by `window`)."""
    redirect = _Redirect(edit, window)
    window.installEventFilter(redirect)
    return redirect


def _is_typing(event: QKeyEvent) -> bool:
    """A key that types a character (a letter, a digit, a space, AltGr's signs), not a
    command (Ctrl+C, Alt+F) nor a control key (Enter, Tab, Esc, arrows)."""
    modifiers = event.modifiers() & ~_TYPING
    if modifiers not in (_Mod.NoModifier, _ALT_GR):
        return False
    text = event.text()
    return bool(text) and text.isprintable()


class _Redirect(QObject):
    def __init__(self, edit: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self._edit = edit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent) or not _is_typing(event):
            return False
        edit = self._edit
        focus = QApplication.focusWidget()
        if focus is edit or not (edit.isVisible() and edit.isEnabled()):
            return False
        if not isinstance(watched, QWidget) or (focus is not None and not watched.isAncestorOf(focus)):
            return False  # a key for another window (a dialog of its own) stays there
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        copy = QKeyEvent(event.type(), event.key(), event.modifiers(), event.text(), event.isAutoRepeat(),
                         event.count())
        QApplication.sendEvent(edit, copy)  # the field types it as its own (selection, undo, growth)
        return True
