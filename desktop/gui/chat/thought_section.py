"""A reasoning model's thinking above its answer, as the chat apps show it: "Thinking…"
while it streams, "Thought for N s" once the answer starts; collapsed, opened with a
click, Space or Enter. The thinking is untrusted model text: shown as plain text."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton, QVBoxLayout, QWidget

__all__ = ["ThoughtSection", "thought_title"]


def thought_title(seconds: float | None) -> str:
    if seconds is None:
        return "Thinking…"
    if seconds < 1:
        return "Thought for less than a second"
    if seconds < 90:
        return f"Thought for {seconds:.0f} s"
    return f"Thought for {seconds / 60:.0f} min"


class ThoughtSection(QWidget):
    """Hidden until there is thinking to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("ThoughtToggle")
        self.toggle.setCheckable(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAccessibleDescription("Shows or hides the model's thinking")
        self.toggle.toggled.connect(self._opened)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.body = QLabel(self)
        self.body.setObjectName("ThoughtText")
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.hide()
        layout.addWidget(self.body)
        self._text = ""
        self._started: float | None = None
        self._done = False
        self._set_title(None)
        self.hide()

    @property
    def text(self) -> str:
        return self._text

    def append(self, text: str) -> None:
        """More thinking, as it streams."""
        self._started = self._started or time.monotonic()
        self._text += text
        self.body.setText(self._text.strip())
        self.show()

    def end(self) -> None:
        """The answer has begun: the thinking took until now."""
        if self._started is not None and not self._done:
            self.finish(time.monotonic() - self._started)

    def finish(self, seconds: float) -> None:
        self._done = True
        self._set_title(seconds)

    def set_thought(self, text: str, seconds: float) -> None:
        """A stored answer's thinking."""
        self._text = text
        self.body.setText(text.strip())
        self.finish(seconds)
        self.setVisible(bool(text.strip()))

    def _set_title(self, seconds: float | None) -> None:
        title = thought_title(seconds)
        self.toggle.setText(title)
        self.toggle.setAccessibleName(title)

    def _opened(self, opened: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.body.setVisible(opened)
