"""The empty conversation: a short welcome and example prompts that fill the composer.

Signals (Welcome):
    promptChosen(str): an example was clicked; the text goes into the composer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

__all__ = ["EXAMPLE_PROMPTS", "Welcome"]

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
        layout.setContentsMargins(0, 48, 0, 24)
        layout.setSpacing(10)
        title = QLabel("How can I help?", self)
        title.setObjectName("Welcome")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        hint = QLabel("Everything stays on this computer. Type, paste or drop an image, "
                      "or hold Ctrl+Space and speak.", self)
        hint.setObjectName("WelcomeHint")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title)
        layout.addWidget(hint)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.buttons: list[QPushButton] = []
        for index, (label, prompt) in enumerate(EXAMPLE_PROMPTS):
            detail = prompt or "Hold Ctrl+Space (or the microphone button) and ask out loud."
            button = QPushButton(f"{label}\n{_short(detail)}", self)
            button.setObjectName("ExamplePrompt")
            button.setAccessibleName(label)
            button.setToolTip(detail)
            button.clicked.connect(lambda _=False, p=prompt: self.promptChosen.emit(p))
            grid.addWidget(button, index // 2, index % 2)
            self.buttons.append(button)
        layout.addSpacing(12)
        layout.addLayout(grid)


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
