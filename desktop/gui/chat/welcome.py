"""The empty conversation: a short welcome and example prompts that fill the composer.

Signals (Welcome):
    promptChosen(str): an example was clicked; the text goes into the composer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

__all__ = ["EXAMPLE_PROMPTS", "Welcome"]

_TWO_COLUMNS_PX = 440
_PADDING_PX = 2 * 14 + 2  # the stylesheet's #ExamplePrompt padding and border, both sides

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
            button = _ExampleButton(label, detail, self)
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


class _ExampleButton(QPushButton):
    """An example: its heading, then its text on at most two lines that fit the card
    (a button does not wrap by itself; a cut line ends in "…")."""

    def __init__(self, label: str, detail: str, parent: QWidget) -> None:
        super().__init__(parent)
        self._label, self._detail = label, detail
        self.setText(f"{label}\n{detail}")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        width = max(40, event.size().width() - _PADDING_PX)
        metrics = self.fontMetrics()
        lines = [metrics.elidedText(self._label, Qt.TextElideMode.ElideRight, width),
                 *fit_lines(self._detail, metrics, width, 2)]
        text = "\n".join(lines)
        if text != self.text():
            self.setText(text)


def fit_lines(text: str, metrics: QFontMetrics, width: int, most: int) -> list[str]:
    """`text` wrapped at words to `width` pixels, on at most `most` lines, the last
    one elided when more is left."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < most:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
            line += " " + words.pop(0)
        lines.append(line)
    if words or (lines and metrics.horizontalAdvance(lines[-1]) > width):
        rest = " ".join([lines.pop(), *words]) if lines else " ".join(words)
        lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
    return lines
