"""The first-run dialog: shown while the starter models are set up, before the window.

A packaged Hearth carries its starter models; the first start copies them into the
models folder (a few hundred MB, no network), which takes seconds, not minutes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QVBoxLayout, QWidget

__all__ = ["SetupDialog"]


class SetupDialog(QDialog):
    """Busy bar, the step in progress, Cancel; `show_failure` turns Cancel into Close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.failure = ""
        self.setWindowTitle("Setting up Hearth")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Hearth is installing its starter models from the app itself. Nothing is "
            "downloaded, and this happens only once.", self)
        intro.setWordWrap(True)
        self.step = QLabel("", self)
        self.step.setAccessibleName("Setup step")
        self.step.setWordWrap(True)
        self.step.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy: the steps are few and uneven
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.rejected.connect(self.reject)
        for widget in (intro, self.step, self.bar, self.buttons):
            layout.addWidget(widget)

    def show_step(self, text: str) -> None:
        self.step.setText(text)

    def finish(self, _message: str) -> None:
        self.accept()

    def show_failure(self, text: str) -> None:
        """The setup failed: say why in one sentence; the only way on is Close."""
        self.failure = text
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.step.setText(text)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
