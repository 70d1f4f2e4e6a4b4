"""The composer's text field: Enter sends, Shift+Enter is a new line, Tab moves focus,
pasted images become attachments, and it grows with its text up to eight lines.

Signals (PromptEdit):
    enterPressed(): Enter without Shift.
    imagesPasted(QMimeData): an image or image files were pasted.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QSizePolicy, QWidget

__all__ = ["PromptEdit"]

MAX_LINES = 8


class PromptEdit(QPlainTextEdit):
    enterPressed = Signal()
    imagesPasted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PromptEdit")
        self.setTabChangesFocus(True)  # Tab reaches the buttons; nobody types tabs into a chat
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.enterPressed.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasImage() or (source.hasUrls() and any(u.isLocalFile() for u in source.urls())):
            self.imagesPasted.emit(source)
            return
        super().insertFromMimeData(source)

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        super().resizeEvent(event)
        self._fit()

    def _fit(self, *_args: object) -> None:
        """One line when empty, growing to MAX_LINES, then it scrolls."""
        lines = max(1, min(MAX_LINES, int(self.document().documentLayout().documentSize().height())))
        margins = self.contentsMargins()
        height = lines * self.fontMetrics().lineSpacing() + int(2 * self.document().documentMargin())
        self.setFixedHeight(height + margins.top() + margins.bottom() + 4)
