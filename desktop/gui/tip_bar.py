"""One-line bars inside the chat column: advice with one button, and the undo bar.

Signals (TipBar):
    actionRequested(): the tip's button was pressed (the window decides what it opens).
    dismissed(): the tip was closed by the person.
Signals (UndoBar):
    undoRequested(): Undo was pressed before the bar timed out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from desktop.gui.icons import IconButton

__all__ = ["TipBar", "UndoBar"]

UNDO_SECONDS = 10


class _Bar(QFrame):
    def __init__(self, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.label = QLabel("", self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.action_button = QPushButton("", self)
        self.close_button = IconButton("x", "Dismiss", self, size=14)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self.hide()


class TipBar(_Bar):
    actionRequested = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("TipBar", parent)
        self.setAccessibleName("Tip")
        self.action_button.clicked.connect(self.actionRequested.emit)
        self.close_button.clicked.connect(self._dismiss)

    def show_tip(self, text: str, *, action: str) -> None:
        """Show `text` with a button labelled `action`; an empty text hides the bar."""
        self.label.setText(text)
        self.label.setToolTip(text)
        self.action_button.setText(action)
        self.action_button.setAccessibleName(action)
        self.setVisible(bool(text))

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class UndoBar(_Bar):
    """"Deleted “title”. Undo" for a few seconds after a conversation is deleted."""

    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("UndoBar", parent)
        self.setAccessibleName("Undo")
        self.action_button.setText("Undo")
        self.action_button.setAccessibleName("Undo delete")
        self.action_button.setToolTip("Bring the conversation back (Ctrl+Z)")
        self.action_button.clicked.connect(self._undo)
        self.close_button.clicked.connect(self.hide)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)

    def undo_key_on(self, widget: QWidget) -> None:
        """Ctrl+Z in `widget` (the conversation list) undoes while the bar shows."""
        key = QShortcut(QKeySequence.StandardKey.Undo, widget, self._undo_if_shown)
        key.setContext(Qt.ShortcutContext.WidgetShortcut)

    def _undo_if_shown(self) -> None:
        if self.isVisible():
            self._undo()

    def show_deleted(self, title: str, seconds: float = UNDO_SECONDS) -> None:
        self.label.setText(f"Deleted “{title}”." if title else "Conversation deleted.")
        self.show()
        self._timer.start(int(seconds * 1000))

    def _undo(self) -> None:
        self._timer.stop()
        self.hide()
        self.undoRequested.emit()
