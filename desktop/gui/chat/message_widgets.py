"""One message in the chat: the person's in a tinted bubble on the right, Hearth's as
plain text across the column (as ChatGPT and Claude show them).

Actions (copy, edit, regenerate) sit under a message as icon buttons. They are shown
while the pointer is over the message or one of them has keyboard focus (Tab reaches
them even while they are faded out), and always under the last answer.

Signals (MessageWidget):
    editRequested(int, str): "Edit" on the person's message: its position and text.
    regenerateRequested(): "Regenerate" under the last answer.
    readAloudRequested(str): the speaker under an answer: read this text aloud.
    imageOpened(Attachment): a thumbnail was clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QEnterEvent, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import AnswerDetails, AnswerStats
from desktop.gui.chat.answer_view import AnswerView
from desktop.gui.chat.attachments import attachment_pixmap
from desktop.gui.chat.thought_section import ThoughtMemory, ThoughtSection
from desktop.gui.icons import IconButton

__all__ = ["AssistantMessage", "MessageWidget", "UserMessage", "stats_line"]

_COPIED_MS = 1500
_THINKING_MS = 450


def stats_line(stats: AnswerStats) -> str:
    """One quiet line of what applies to this answer; nothing that does not."""
    parts = []
    if stats.ttft_s > 0:
        parts.append(f"first token {stats.ttft_s:.2f} s")
    if stats.decode_tps > 0:
        parts.append(f"{stats.decode_tps:.1f} tokens/s")
    encode_ms = stats.image_encode_s * 1000
    if stats.image_count and encode_ms >= 1:  # a follow-up reuses the encoded image
        parts.append(f"image encode {encode_ms:.0f} ms")
    if stats.finish_reason == "cancelled":
        parts.append("stopped")
    return " · ".join(parts)


class _ActionRow(QWidget):
    """Icon buttons under a message; faded out unless revealed (still focusable)."""

    def __init__(self, parent: QWidget, *, align_right: bool) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        if align_right:
            self._layout.addStretch(1)
        self._trailing_stretch = not align_right
        self._effect = QGraphicsOpacityEffect(self)
        self.setGraphicsEffect(self._effect)
        self._pinned = False
        self._hovered = False
        self._focused = 0
        self._update()

    def add(self, button: QToolButton) -> QToolButton:
        button.installEventFilter(self)
        self._layout.addWidget(button)
        return button

    def finish(self) -> None:
        if self._trailing_stretch:
            self._layout.addStretch(1)

    def set_pinned(self, pinned: bool) -> None:
        self._pinned = pinned
        self._update()

    def set_hovered(self, hovered: bool) -> None:
        self._hovered = hovered
        self._update()

    @property
    def revealed(self) -> bool:
        return self._pinned or self._hovered or self._focused > 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self._focused += 1
            self._update()
        elif event.type() == QEvent.Type.FocusOut:
            self._focused = max(0, self._focused - 1)
            self._update()
        return False

    def _update(self) -> None:
        self._effect.setOpacity(1.0 if self.revealed else 0.0)


class MessageWidget(QWidget):
    editRequested = Signal(int, str)
    regenerateRequested = Signal()
    readAloudRequested = Signal(str)
    imageOpened = Signal(object)

    def __init__(self, message: Message, position: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.position = position
        self.text = message.text
        self.setAccessibleName("Your message" if message.role == "user" else "Hearth's answer")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 4)
        self._layout.setSpacing(4)
        self.actions = _ActionRow(self, align_right=message.role == "user")
        self.copy_button = self.actions.add(IconButton("copy", "Copy message", self.actions, size=18))
        self.copy_button.clicked.connect(self._copy)
        self.copied_label = QLabel("Copied", self.actions)
        self.copied_label.setObjectName("Caption")
        self.copied_label.hide()

    def set_busy(self, busy: bool) -> None:
        """While an answer streams, actions that would conflict with it are disabled."""

    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        self.actions.set_hovered(True)

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self.actions.set_hovered(False)

    def _thumbnails(self, images: tuple[Attachment, ...], align_right: bool) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        if align_right:
            row.addStretch(1)
        for image in images:
            thumb = QToolButton(self)
            thumb.setIcon(attachment_pixmap(image, 120))
            thumb.setIconSize(QSize(120, 120))
            thumb.setToolTip(f"{image.source_name}: click to view")
            thumb.setAccessibleName(f"Image {image.source_name}")
            thumb.setProperty("attachment", image)
            thumb.clicked.connect(lambda _=False, a=image: self.imageOpened.emit(a))
            row.addWidget(thumb)
        if not align_right:
            row.addStretch(1)
        return row

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.copy_button.set_icon_name("check")
        self.copy_button.setToolTip("Copied")
        self.copied_label.show()
        QTimer.singleShot(_COPIED_MS, self, self._copied_done)

    def _copied_done(self) -> None:
        self.copy_button.set_icon_name("copy")
        self.copy_button.setToolTip("Copy message")
        self.copied_label.hide()


class UserMessage(MessageWidget):
    """The person's message: a tinted bubble on the right, at most ~75 % of the column."""

    def __init__(self, message: Message, position: int, parent: QWidget | None = None) -> None:
        super().__init__(message, position, parent)
        if message.images:
            self._layout.addLayout(self._thumbnails(message.images, align_right=True))
        self.bubble = QFrame(self)
        self.bubble.setObjectName("UserBubble")
        bubble_layout = QVBoxLayout(self.bubble)
        bubble_layout.setContentsMargins(14, 10, 14, 10)
        self.label = QLabel(self.bubble)
        self.label.setObjectName("MessageText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # what the person typed, never markup
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        bubble_layout.addWidget(self.label)
        self.edit_button = self.actions.add(IconButton("pencil-simple", "Edit message", self.actions, size=18))
        self.edit_button.clicked.connect(lambda: self.editRequested.emit(self.position, self.text))
        self.actions.add(self.copied_label)
        self.actions.finish()
        row = QHBoxLayout()  # the actions sit beside the bubble, so they take no height of their own
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.actions, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.bubble)
        self._layout.addLayout(row)
        self.label.setText(message.text)

    def set_busy(self, busy: bool) -> None:
        self.edit_button.setEnabled(not busy)

    def set_editing(self, editing: bool) -> None:
        """The message is being edited in the composer: outlined, and its pen stays lit."""
        self.bubble.setProperty("editing", editing)
        self.bubble.style().unpolish(self.bubble)
        self.bubble.style().polish(self.bubble)
        self.actions.set_pinned(editing)

    def resizeEvent(self, event: QEvent) -> None:
        super().resizeEvent(event)
        self._fit_bubble()

    def _fit_bubble(self) -> None:
        """As wide as the text needs, up to ~78 % of the column; wraps beyond that."""
        metrics = self.label.fontMetrics()
        natural = max((metrics.horizontalAdvance(line) for line in self.text.splitlines() or [""]), default=0)
        widest = max(160, int(self.width() * 0.78) - 28 - self.actions.sizeHint().width())
        self.label.setFixedWidth(max(24, min(natural + 4, widest)))


class AssistantMessage(MessageWidget):
    """Hearth's answer: Markdown across the column, a thinking indicator until the first
    words, a quiet statistics line and the actions underneath."""

    def __init__(self, message: Message, position: int, parent: QWidget | None = None, *,
                 streaming: bool = False, reading_image: bool = False, thoughts: ThoughtMemory | None = None) -> None:
        super().__init__(message, position, parent)
        self.thinking = QLabel(self)
        self.thinking.setObjectName("Thinking")
        self.thinking.setAccessibleName("Thinking")
        self._thinking_word = "Reading the image" if reading_image else "Thinking"
        self._dots = 0
        self._pulse = QTimer(self)
        self._pulse.setInterval(_THINKING_MS)
        self._pulse.timeout.connect(self._tick)
        self._layout.addWidget(self.thinking)
        self.thought = ThoughtSection(self, key=position, memory=thoughts)
        self._layout.addWidget(self.thought)
        self.view = AnswerView(self)
        self.view.setObjectName("MessageText")
        self._layout.addWidget(self.view)
        self.stats_label = QLabel(self)
        self.stats_label.setObjectName("StatsLine")
        self.stats_label.setAccessibleName("Answer statistics")
        self.stats_label.hide()
        self._layout.addWidget(self.stats_label)
        self.read_button = self.actions.add(IconButton("speaker-high", "Read aloud", self.actions, size=18))
        self.read_button.clicked.connect(lambda: self.readAloudRequested.emit(self.text))
        self.regenerate_button = self.actions.add(
            IconButton("arrow-clockwise", "Regenerate answer", self.actions, size=18))
        self.regenerate_button.clicked.connect(self.regenerateRequested.emit)
        self.regenerate_button.hide()
        self.actions.add(self.copied_label)
        self.actions.finish()
        self._layout.addWidget(self.actions)
        self.streaming = streaming
        if streaming:
            self.actions.hide()
            self._tick()
            self._pulse.start()
        else:
            self.thinking.hide()
            self.view.set_text(message.text, streaming=False)

    def append(self, delta: str) -> None:
        """More of the streaming answer; only the open block is re-rendered."""
        if self.thinking.isVisible() or self._pulse.isActive():
            self._pulse.stop()
            self.thinking.hide()
        self.thought.end()
        self.text += delta
        self.view.set_text(self.text, streaming=True)

    def append_thought(self, delta: str) -> None:
        """More of a reasoning model's thinking: it replaces the pulsing indicator."""
        self._pulse.stop()
        self.thinking.hide()
        self.thought.append(delta)

    def finish(self, text: str, details: AnswerDetails | None) -> None:
        """The answer as the engine settled it: streamed "thinking" it judged to be the
        answer (a block that never closed) moves down into the answer."""
        self._pulse.stop()
        self.thinking.hide()
        self.streaming = False
        self.text = text
        self.view.set_text(text, streaming=False)
        if details is None and self.thought.text:  # failed mid-way: keep what streamed
            self.thought.set_thought(self.thought.text, self.thought.seconds or 0.0)
        elif details is not None and not details.reasoning and self.thought.text:
            self.thought.clear()
        self.set_details(details)
        self.actions.show()

    def set_details(self, details: AnswerDetails | None) -> None:
        """The statistics line, and the thinking kept with them (streamed or stored alike).
        Thinking cut short by Stop or the length limit, with no answer, says so."""
        if details is not None and details.reasoning:
            finish = details.stats.finish_reason if details.stats is not None else "stop"
            cut = finish if finish != "stop" and not self.text.strip() else None
            self.thought.set_thought(details.reasoning, details.thinking_s, cut=cut)
        line = stats_line(details.stats) if details is not None and details.stats is not None else ""
        self.stats_label.setText(line)
        self.stats_label.setVisible(bool(line))

    def set_reading(self, reading: bool) -> None:
        """Something is being read aloud: the speaker then stops it."""
        self.read_button.set_icon_name("speaker-slash" if reading else "speaker-high")
        self.read_button.setToolTip("Stop reading aloud (Esc)" if reading else "Read aloud")
        self.read_button.setAccessibleName(self.read_button.toolTip())

    def set_last(self, last: bool) -> None:
        """The last answer offers Regenerate and keeps its actions visible."""
        self.regenerate_button.setVisible(last and not self.streaming)
        self.actions.set_pinned(last and not self.streaming)

    def set_busy(self, busy: bool) -> None:
        self.regenerate_button.setEnabled(not busy)

    def _tick(self) -> None:
        self._dots = self._dots % 3 + 1
        self.thinking.setText(self._thinking_word + "." * self._dots)
