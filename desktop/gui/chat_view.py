"""The conversation: one bubble per message, only the streaming one re-rendered.

Model output is untrusted: it is rendered by `core.markdown_render` (no raw HTML, no
images loaded), `MessageView.loadResource` refuses every resource, and links open in
the system browser only when clicked.

Signals (ChatView):
    regenerateRequested(): "Regenerate" under the last answer.
    editRequested(int, str): "Edit" on a user message: its position and text.
    imageOpened(Attachment): a thumbnail was clicked.
"""

from __future__ import annotations

from dataclasses import asdict

from PySide6.QtCore import QEvent, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer
from desktop.core.markdown_render import COPY_SCHEME, render_markdown
from desktop.gui.composer import attachment_pixmap

__all__ = ["ChatView", "MessageBubble", "MessageView", "stats_line"]


def stats_line(stats: dict) -> str:
    parts = [f"first token {stats['ttft_s']:.2f} s"]
    steps = stats.get("completion_tokens", 0) - 1
    if steps > 0 and stats.get("decode_s", 0) > 0:
        parts.append(f"{steps / stats['decode_s']:.1f} tokens/s")
    if stats.get("image_count"):
        parts.append(f"image encode {stats['image_encode_s'] * 1000:.0f} ms")
    if stats.get("finish_reason") == "cancelled":
        parts.append("stopped")
    return " · ".join(parts)


def _is_dark() -> bool:
    """The OS colour scheme when Qt knows it, else the palette's lightness."""
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


class MessageView(QTextBrowser):
    """Rich text that fits its content's height and never fetches anything."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.code_blocks: tuple[str, ...] = ()
        self.anchorClicked.connect(self._follow)

    def loadResource(self, _kind: int, _name: QUrl) -> object:
        return None  # no remote or local resource is ever loaded from model output

    def set_markdown(self, text: str) -> None:
        rendered = render_markdown(text, dark=_is_dark())
        self.code_blocks = rendered.code_blocks
        self.setHtml(rendered.html)

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self.document().setTextWidth(self.viewport().width())
        self.setFixedHeight(int(self.document().size().height()) + 6)

    def _follow(self, url: QUrl) -> None:
        if url.scheme() == COPY_SCHEME:
            index = int(url.path() or -1)
            if 0 <= index < len(self.code_blocks):
                QGuiApplication.clipboard().setText(self.code_blocks[index])
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)


class MessageBubble(QFrame):
    def __init__(self, message: Message, position: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.position = position
        self.text = message.text
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"{message.role} message")
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        self.role_label = QLabel("<b>You</b>" if message.role == "user" else "<b>Hearth</b>", self)
        header.addWidget(self.role_label)
        header.addStretch(1)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy")
        self.copy_button.setAccessibleName("Copy message")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        header.addWidget(self.copy_button)
        self.edit_button = QToolButton(self)
        self.edit_button.setText("Edit")
        self.edit_button.setAccessibleName("Edit message")
        self.edit_button.setVisible(message.role == "user")
        header.addWidget(self.edit_button)
        self.regenerate_button = QToolButton(self)
        self.regenerate_button.setText("Regenerate")
        self.regenerate_button.setAccessibleName("Regenerate answer")
        self.regenerate_button.hide()
        header.addWidget(self.regenerate_button)
        layout.addLayout(header)
        if message.images:
            row = QHBoxLayout()
            for image in message.images:
                thumb = QToolButton(self)
                thumb.setIcon(attachment_pixmap(image, 96))
                thumb.setIconSize(QSize(96, 96))
                thumb.setAccessibleName(f"Image {image.source_name}")
                thumb.setProperty("attachment", image)
                row.addWidget(thumb)
            row.addStretch(1)
            layout.addLayout(row)
        self.view = MessageView(self)
        self.view.setAccessibleName("Message text")
        layout.addWidget(self.view)
        self.stats_label = QLabel(self)
        self.stats_label.setAccessibleName("Answer statistics")
        self.stats_label.hide()
        layout.addWidget(self.stats_label)
        self.set_text(message.text)

    def set_text(self, text: str) -> None:
        self.text = text
        if self.message.role == "assistant":
            self.view.set_markdown(text)
        else:
            self.view.setPlainText(text)

    def set_stats(self, stats: dict | None) -> None:
        if stats:
            self.stats_label.setText(stats_line(stats))
            self.stats_label.show()


class ChatView(QScrollArea):
    regenerateRequested = Signal()
    editRequested = Signal(int, str)
    imageOpened = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Conversation")
        body = QWidget(self)
        self._layout = QVBoxLayout(body)
        self._layout.addStretch(1)
        self.setWidget(body)
        self.bubbles: list[MessageBubble] = []
        self._streaming: MessageBubble | None = None
        self.verticalScrollBar().rangeChanged.connect(self._follow_bottom)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._restyle)

    def changeEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()

    def _restyle(self) -> None:
        """Dark/light follows the OS: re-render answers with the matching code colours."""
        for bubble in self.bubbles:
            if bubble.message.role == "assistant":
                bubble.set_text(bubble.text)

    def clear(self) -> None:
        for bubble in self.bubbles:
            bubble.deleteLater()
        self.bubbles.clear()
        self._streaming = None

    def add_message(self, message: Message, stats: dict | None = None) -> MessageBubble:
        bubble = MessageBubble(message, len(self.bubbles), self.widget())
        bubble.set_stats(stats)
        bubble.edit_button.clicked.connect(lambda: self.editRequested.emit(bubble.position, bubble.text))
        bubble.regenerate_button.clicked.connect(self.regenerateRequested.emit)
        for thumb in bubble.findChildren(QToolButton):
            attachment = thumb.property("attachment")
            if isinstance(attachment, Attachment):
                thumb.clicked.connect(lambda _=False, a=attachment: self.imageOpened.emit(a))
        self._layout.insertWidget(self._layout.count() - 1, bubble)
        self.bubbles.append(bubble)
        self._mark_last_answer()
        return bubble

    def truncate(self, position: int) -> None:
        """Remove the bubbles from `position` on (regenerate, edit-and-resend)."""
        self._streaming = None
        while len(self.bubbles) > max(position, 0):
            self.bubbles.pop().deleteLater()
        self._mark_last_answer()

    def begin_answer(self) -> None:
        self._streaming = self.add_message(Message.assistant(""))

    def append_delta(self, text: str) -> None:
        if self._streaming is not None:  # only this bubble is re-rendered
            self._streaming.set_text(self._streaming.text + text)

    def finish_answer(self, answer: Answer) -> None:
        if self._streaming is None:
            self.begin_answer()
        assert self._streaming is not None
        self._streaming.set_text(answer.text)
        self._streaming.set_stats(asdict(answer.stats))
        self._streaming = None
        self._mark_last_answer()

    def abandon_answer(self) -> None:
        """The answer failed: drop its empty bubble."""
        if self._streaming is not None and not self._streaming.text:
            self.bubbles.remove(self._streaming)
            self._streaming.deleteLater()
        self._streaming = None

    def _mark_last_answer(self) -> None:
        for bubble in self.bubbles:
            bubble.regenerate_button.hide()
        if self.bubbles and self.bubbles[-1].message.role == "assistant" and self._streaming is None:
            self.bubbles[-1].regenerate_button.show()

    def _follow_bottom(self, _minimum: int, maximum: int) -> None:
        self.verticalScrollBar().setValue(maximum)
