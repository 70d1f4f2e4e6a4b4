"""A dismissable line of advice above the chat, with one button that acts on it.

Signals:
    actionRequested(): the tip's button was pressed (the window decides what it opens).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

__all__ = ["TipBar"]


class TipBar(QFrame):
    actionRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Tip")
        self.label = QLabel("", self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.action_button = QPushButton("", self)
        self.dismiss_button = QPushButton("Dismiss", self)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.dismiss_button)
        self.action_button.clicked.connect(self.actionRequested.emit)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def show_tip(self, text: str, *, action: str) -> None:
        """Show `text` with a button labelled `action`; an empty text hides the bar."""
        self.label.setText(text)
        self.action_button.setText(action)
        self.setVisible(bool(text))
