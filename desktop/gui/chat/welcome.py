"""The empty conversation: a short welcome and example prompts that fill the composer.

Signals (Welcome):
    promptChosen(str): an example was clicked; the text goes into the composer.
"""

from __future__ import annotations

import textwrap

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

__all__ = ["EXAMPLE_PROMPTS", "Welcome"]

_TWO_COLUMNS_PX = 440

# (button text, what goes into the composer)
EXAMPLE_PROMPTS: tuple[tuple[str, str], ...] = (
    ("Explain a hard idea simply", "Explain how public-key cryptography works, as if I were twelve."),
    ("Write some code", "Write a Python function that checks whether a string is a palindrome, with tests."),
    ("Ask about a picture", "What is in this picture? "),
    ("Or just speak", ""),
)


class Welcome(QWidget):
    promptChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Welcome")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 24, 0, 16)
        layout.setSpacing(10)
        title = QLabel("How can I help?", self)
        title.setObjectName("Welcome")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        hint = QLabel("Everything stays on this computer. Type, paste or drop an image, "
                      "or hold Ctrl+Space and speak.", self)
        hint.setObjectName("WelcomeHint")
        hint.setWordWrap(True)
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title)
        layout.addWidget(hint)
        self._grid = QGridLayout()
        self._grid.setSpacing(10)
        self._columns = 0
        self.buttons: list[QPushButton] = []
        for label, prompt in EXAMPLE_PROMPTS:
            detail = prompt or "Hold Ctrl+Space (or the microphone button) and ask out loud."
            button = QPushButton(f"{label}\n{_two_lines(detail)}", self)
            button.setObjectName("ExamplePrompt")
            button.setAccessibleName(label)
            button.setToolTip(detail)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, p=prompt: self.promptChosen.emit(p))
            self.buttons.append(button)
        self._arrange(2)
        layout.addSpacing(12)
        layout.addLayout(self._grid)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(2 if event.size().width() >= _TWO_COLUMNS_PX else 1)

    def _arrange(self, columns: int) -> None:
        """Two columns of examples where there is room, one in a narrow window."""
        if columns == self._columns:
            return
        self._columns = columns
        for index, button in enumerate(self.buttons):
            self._grid.removeWidget(button)
            self._grid.addWidget(button, index // columns, index % columns)


def _two_lines(text: str, width: int = 34) -> str:
    """The example's text on at most two short lines (a button does not wrap by itself)."""
    lines = textwrap.wrap(text, width)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 1].rstrip() + "…"]
    return "\n".join(lines)
