"""A code block in an answer: its language, a copy button, and code that scrolls sideways.

The code never wraps and is never clipped: long lines scroll horizontally inside the
block, and the block is exactly as tall as its lines (plus the scroll bar when one
shows), so the chat scrolls, not the block. While an answer streams, new text is
appended to the document and only the changed lines are coloured again (each line on its
own); when the block is complete it is coloured once with full context (multi-line
strings, comments). Colours follow light and dark (`core.code_highlight`).
"""

from __future__ import annotations

from math import ceil

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QShowEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget

from desktop.core.code_highlight import (
    Span,
    TokenType,
    highlight_line,
    highlight_lines,
    style_name,
    token_style,
)
from desktop.gui.icons import IconButton
from desktop.gui.theme import BODY_PX, is_dark

__all__ = ["CodeBlock"]


class CodeBlock(QFrame):
    """One code block: header (language, copy) over a read-only, never-wrapping code view.

    Signals:
        copied(): the exact raw code was put on the clipboard.
    """

    copied = Signal()
    COPIED_MS = 1500  # how long "Copied" shows after a click

    def __init__(self, code: str = "", language: str = "", *, closed: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CodeBlock")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        header = QFrame(self)
        header.setObjectName("CodeHeader")
        row = QHBoxLayout(header)
        row.setContentsMargins(12, 2, 4, 2)
        self.language_label = QLabel(header)
        self.language_label.setObjectName("CodeLanguage")
        row.addWidget(self.language_label)
        row.addStretch(1)
        self.copied_label = QLabel("Copied", header)
        self.copied_label.setObjectName("CodeCopied")
        self.copied_label.hide()
        row.addWidget(self.copied_label)
        self.copy_button = IconButton("copy", "Copy code", header, size=16)
        self.copy_button.clicked.connect(self.copy)
        row.addWidget(self.copy_button)
        self.editor = _CodeText(self)
        self._highlighter = _Highlighter(self.editor.document())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.editor)
        self.highlight_passes = 0  # full-context colourings (tests: once per finished block)
        self._code = ""
        self._shown = ""  # what the editor holds: the code without its final newline
        self._language: str | None = None
        self._closed = False
        self.set_code(code, language, closed=closed)

    @property
    def code(self) -> str:
        return self._code

    @property
    def language(self) -> str:
        return self._language or ""

    @property
    def closed(self) -> bool:
        return self._closed

    def set_code(self, code: str, language: str, *, closed: bool) -> None:
        """Show `code`; appended text costs only its lines. `closed`: colour it in full now."""
        relanguage = language != self._language
        if relanguage:
            self._language = language
            self.language_label.setText(language or "text")
            self.setAccessibleName(f"Code block, {language or 'text'}")
            self._highlighter.set_language(language)
        self._code = code
        shown = code[:-1] if code.endswith("\n") else code
        full = closed and (not self._closed or relanguage or shown != self._shown)
        self._closed = closed
        if full:  # spans first, so the text change below colours the new lines once, right
            self._highlighter.set_full(shown)
            self.highlight_passes += 1
        coloured_all = self._show(shown) if shown != self._shown else False
        if (full or relanguage) and not coloured_all:
            self._highlighter.rehighlight()
        self.editor.fit()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._code)
        self.copy_button.set_icon_name("check")
        self.copy_button.setToolTip("Copied")
        self.copied_label.show()
        self.copied.emit()
        QTimer.singleShot(self.COPIED_MS, self, self._copy_done)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._highlighter.set_style(style_name(is_dark()))

    def _copy_done(self) -> None:
        self.copy_button.set_icon_name("copy")
        self.copy_button.setToolTip("Copy code")
        self.copied_label.hide()

    def _show(self, shown: str) -> bool:
        """Put `shown` in the editor, touching only what changed; True if all was replaced."""
        old, self._shown = self._shown, shown
        document = self.editor.document()
        cursor = QTextCursor(document)
        if old and shown.startswith(old):
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(shown[len(old):])
            return False
        cut = old.rfind("\n") + 1  # the last line may shrink ("``" became a closing fence)
        if cut and shown.startswith(old[:cut]):
            self.editor.forget_from(document.blockCount() - 1)
            cursor.setPosition(document.lastBlock().position())
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(shown[cut:])
            return False
        self.editor.forget_from(0)
        self.editor.setPlainText(shown)
        return True


class _CodeText(QPlainTextEdit):
    """Read-only, selectable, no wrapping; exactly as tall as its lines."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._summed = 0  # blocks [0, _summed) are measured: their heights add up to _sum
        self._sum = 0.0
        self.setObjectName("CodeText")
        self.setAccessibleName("Code")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab reaches the copy button instead
        self.setTabChangesFocus(True)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)  # QSS has no portable "monospace"
        font.setPixelSize(BODY_PX)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.horizontalScrollBar().rangeChanged.connect(lambda _low, _high: self.fit())

    def forget_from(self, block: int) -> None:
        """Blocks from `block` on are about to change: measure them again."""
        if block < self._summed:
            self._summed, self._sum = 0, 0.0

    def fit(self) -> None:
        """Height = every line (each laid out, so the scroll bar knows the widest) + chrome."""
        self.ensurePolished()
        document = self.document()
        layout = document.documentLayout()
        count = document.blockCount()
        if self._summed > max(count - 1, 0):
            self._summed, self._sum = 0, 0.0
        block = document.findBlockByNumber(self._summed)
        total = self._sum
        while block.isValid():
            height = layout.blockBoundingRect(block).height()
            if block.blockNumber() < count - 1:  # the last line may still grow
                self._sum += height
                self._summed += 1
            total += height
            block = block.next()
        margins = self.contentsMargins()
        chrome = margins.top() + margins.bottom() + 2 * document.documentMargin()
        bar = self.horizontalScrollBar()
        if bar.maximum() > 0:
            chrome += bar.sizeHint().height()
        height = ceil(total + chrome)
        if height != self.height():
            self.setFixedHeight(height)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self.forget_from(0)
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if abs(event.angleDelta().y()) > abs(event.angleDelta().x()):
            event.ignore()  # vertical: the chat scrolls, this block never does
            return
        super().wheelEvent(event)


class _Highlighter(QSyntaxHighlighter):
    """Colours lines from full-context spans when it has them, else each line alone."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._language = ""
        self._style = style_name(is_dark())
        self._formats: dict[TokenType, QTextCharFormat | None] = {}
        self._lines: list[tuple[str, tuple[Span, ...]]] = []  # (line, spans), full context

    def set_language(self, language: str) -> None:
        self._language = language
        self._lines = []

    def set_full(self, text: str) -> None:
        self._lines = list(zip(text.split("\n"), highlight_lines(text, self._language), strict=True))

    def set_style(self, name: str) -> None:
        if name != self._style:
            self._style = name
            self._formats.clear()
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        number = self.currentBlock().blockNumber()
        if number < len(self._lines) and self._lines[number][0] == text:
            spans = self._lines[number][1]
        else:
            spans = highlight_line(text, self._language)
        units = None if text.isascii() else _utf16_offsets(text)
        for start, length, token in spans:
            fmt = self._format(token)
            if fmt is None:
                continue
            if units is not None:  # Qt counts UTF-16 units; Python, code points
                start, length = units[start], units[start + length] - units[start]
            self.setFormat(start, length, fmt)

    def _format(self, token: TokenType) -> QTextCharFormat | None:
        if token not in self._formats:
            style = token_style(self._style, token)
            fmt: QTextCharFormat | None = None
            if style.color or style.bold or style.italic or style.underline:
                fmt = QTextCharFormat()
                if style.color:
                    fmt.setForeground(QColor(style.color))
                if style.bold:
                    fmt.setFontWeight(QFont.Weight.Bold)
                fmt.setFontItalic(style.italic)
                fmt.setFontUnderline(style.underline)
            self._formats[token] = fmt
        return self._formats[token]


def _utf16_offsets(text: str) -> list[int]:
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets
