"""The rest of an answer past the formatting limits of `core.markdown_blocks`, as plain text.

A quiet note says why ("Long answer: ..."), then the text as it is: escaped, monospace in
a code block's box, wrapped, never parsed or coloured. Only its first `SHOWN_CHARS`
characters and `SHOWN_LINES` lines are laid out (Qt takes ~1 s a megabyte), long lines in
pieces; a note says how much is not shown, and the message's Copy still copies every
character. While an answer streams, new text is appended: a delta costs its own length.
"""

from __future__ import annotations

from math import ceil

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QResizeEvent, QTextCursor, QWheelEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QTextEdit, QVBoxLayout, QWidget

from desktop.core.markdown_blocks import DEEP
from desktop.gui.theme import BODY_PX

__all__ = ["NOTES", "PlainView", "fit_to_document"]

NOTES = {
    DEEP: "Nested too deeply to format: shown as plain text from here on.",
    "": "Long answer: shown as plain text from here on.",
}


class PlainView(QWidget):
    """The rest of an answer past a formatting limit: a quiet note over the text as it is."""

    SHOWN_CHARS = 100_000  # shown at most (laying out more would stall the window)...
    SHOWN_LINES = 5_000  # ...and lines (Qt lays a line out in ~15 us)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.note = QLabel(self)
        self.note.setObjectName("Caption")
        self.note.setWordWrap(True)
        box = QFrame(self)
        box.setObjectName("CodeBlock")  # the look of a code block: raw text, not formatted
        self.editor = _PlainText(box)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(12, 8, 12, 8)
        inner.addWidget(self.editor)
        self.more = QLabel(self)
        self.more.setObjectName("Caption")
        self.more.setWordWrap(True)
        self.more.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for widget in (self.note, box, self.more):
            layout.addWidget(widget)
        self.source = ""  # all of the text, shown or not (what plain_text gives)
        self.setAccessibleName("Plain text")

    def set_source(self, source: str, reason: str) -> None:
        """Show `source` (appending to what is shown when it grew, as it does while streaming)."""
        self.note.setText(NOTES.get(reason, NOTES[""]))
        self.source = source
        shown = source[:self.SHOWN_CHARS]
        if shown.count("\n") > self.SHOWN_LINES:
            shown = shown[:_nth_newline(shown, self.SHOWN_LINES)]
        self.editor.show_text(shown)
        hidden = len(source) - len(shown)
        if hidden:
            self.more.setText(f"{hidden:,} more characters are not shown; Copy copies the whole answer.")
        self.more.setVisible(hidden > 0)


class _PlainText(QTextEdit):
    """Read-only, selectable, monospace, wrapped; as tall as its text, which only grows at the end.

    A line longer than CHUNK is shown broken every CHUNK characters: Qt lays a paragraph
    out whole on every change, and word wrapping a long run without spaces is quadratic,
    so one unbroken megabyte took 78 s (and 24 characters appended to it, a relayout).
    """

    CHUNK = 2_000

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ProseText")  # transparent, borderless; the box around it draws the code look
        self.setAccessibleName("Plain text")
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPixelSize(BODY_PX)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.text = ""  # what is shown, without the breaks added to long lines
        self._column = 0  # the length of its last line

    def show_text(self, text: str) -> None:
        if text == self.text:
            return
        if self.text and text.startswith(self.text):
            cursor = QTextCursor(self.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(self._broken(text[len(self.text):]))
        else:
            self._column = 0
            self.setPlainText(self._broken(text))
        self.text = text
        fit_to_document(self)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        fit_to_document(self)

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # the chat scrolls, never this text

    def _broken(self, text: str) -> str:
        """`text`, to follow what is shown, with a line break after every CHUNK characters of a line."""
        parts: list[str] = []
        for number, line in enumerate(text.split("\n")):
            if number:
                parts.append("\n")
                self._column = 0
            while len(line) > self.CHUNK - self._column:
                take = self.CHUNK - self._column
                parts += [line[:take], "\n"]
                line, self._column = line[take:], 0
            parts.append(line)
            self._column += len(line)
        return "".join(parts)


def _nth_newline(text: str, count: int) -> int:
    end = -1
    for _ in range(count):
        end = text.index("\n", end + 1)
    return end


def fit_to_document(view: QTextEdit) -> None:
    """As tall as the document at the view's width (plus a scroll bar's height if it shows)."""
    document = view.document()
    margins = view.contentsMargins()
    width = view.width() - margins.left() - margins.right()  # the viewport's, even before it is shown
    if document.textWidth() != width:
        document.setTextWidth(width)
    height = ceil(document.size().height()) + margins.top() + margins.bottom()
    if view.horizontalScrollBar().maximum() > 0:
        height += view.horizontalScrollBar().sizeHint().height()
    if height != view.height():
        view.setFixedHeight(height)
