"""The conversation: a centred reading column of messages that stays fast when long.

- Only the newest messages are built when a conversation opens; older ones are built
  in batches as the reader scrolls up (a 1,000-message conversation opens at once).
- The view follows a streaming answer only while the reader is at the bottom; once
  they scroll up it stays put and a "jump to latest" button appears.
- Model output is untrusted: answers render through `AnswerView` (no raw HTML, nothing
  loaded, links open only when clicked).

Signals (ChatView):
    regenerateRequested(): "Regenerate" under the last answer.
    readAloudRequested(str): the speaker under an answer (its text).
    editRequested(int, str): "Edit" on one of the person's messages: position and text.
    imageOpened(Attachment): a thumbnail was clicked.
    promptChosen(str): an example prompt on the empty conversation was clicked.
    focusChainChanged(): messages (and so their buttons) were built or removed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QAbstractButton, QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, AnswerDetails
from desktop.gui.chat.message_widgets import AssistantMessage, MessageWidget, UserMessage
from desktop.gui.chat.thought_section import ThoughtMemory
from desktop.gui.chat.welcome import Welcome
from desktop.gui.icons import IconButton
from desktop.gui.theme import COLUMN_PX

__all__ = ["ChatView"]

FIRST_SHOWN = 6  # messages built before a conversation is first drawn
BACKFILL = 18  # more built right after, a few at a time, so scrolling up finds them
OLDER_BATCH = 12  # built each time the reader nears the top
_BACKFILL_MS = 15
_NEAR_TOP_PX = 300
_BOTTOM_SLACK_PX = 24
_IN_VIEW_MS = 150


class ChatView(QScrollArea):
    regenerateRequested = Signal()
    readAloudRequested = Signal(str)
    editRequested = Signal(int, str)
    imageOpened = Signal(object)
    promptChosen = Signal(str)
    focusChainChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatScroll")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self)
        body.setObjectName("ChatBody")
        row = QHBoxLayout(body)
        row.setContentsMargins(16, 16, 16, 16)
        self.column = QWidget(body)
        self.column.setMaximumWidth(COLUMN_PX)
        row.addStretch(1)
        row.addWidget(self.column, 100)
        row.addStretch(1)
        self._layout = QVBoxLayout(self.column)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        self.welcome = Welcome(self.column)
        self.welcome.promptChosen.connect(self.promptChosen.emit)
        self._layout.addWidget(self.welcome)
        self._layout.addStretch(1)
        self.setWidget(body)

        self.bubbles: list[MessageWidget] = []  # the built messages, oldest first
        self.thoughts = ThoughtMemory()  # the thought sections' open/closed state, past rebuilds
        self._older: list = []  # stored messages not built yet (StoredMessage), oldest first
        self._streaming: AssistantMessage | None = None
        self._busy = False
        self._stick = True  # follow the bottom
        self._anchor: tuple[int, int] | None = None  # (maximum, value) before older ones were built
        self._backfill_left = 0
        self._backfill = QTimer(self)
        self._backfill.setSingleShot(True)
        self._backfill.setInterval(_BACKFILL_MS)  # after the newest messages are drawn
        self._backfill.timeout.connect(self._build_backfill)
        self.jump_button = IconButton("arrow-down", "Jump to latest", self, size=18, color_role="accent_text")
        self.jump_button.setObjectName("JumpToLatest")
        self.jump_button.setFixedSize(36, 36)
        self.jump_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click keeps the composer's focus; End works too
        self.jump_button.clicked.connect(self.scroll_to_bottom)
        self.jump_button.hide()
        self._in_view = QTimer(self)  # once the reader stops scrolling: Tab's reach follows the view
        self._in_view.setSingleShot(True)
        self._in_view.setInterval(_IN_VIEW_MS)
        self._in_view.timeout.connect(self.focusChainChanged.emit)
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._value_changed)
        bar.valueChanged.connect(self._in_view.start)
        self._show_welcome()

    # -- what is shown -----------------------------------------------------------------

    def show_conversation(self, stored: list) -> None:
        """Show a conversation (StoredMessage list): the newest messages now, older on scroll."""
        self.clear()
        self._older = list(stored[:-FIRST_SHOWN]) if len(stored) > FIRST_SHOWN else []
        for item in stored[len(self._older):]:
            self.add_message(item.message, item.details)
        self._stick = True
        self.scroll_to_bottom()
        self._backfill_left = BACKFILL
        if self._older:
            self._backfill.start()

    def clear(self) -> None:
        self._backfill.stop()
        for bubble in self.bubbles:
            bubble.setParent(None)
            bubble.deleteLater()
        self.bubbles.clear()
        self._older = []
        self._streaming = None
        self._show_welcome()

    def add_message(self, message: Message, details: AnswerDetails | None = None) -> MessageWidget:
        bubble = self._make(message, self._next_position(), details)
        self._layout.insertWidget(self._layout.count() - 1, bubble)
        bubble.show()
        self.bubbles.append(bubble)
        self._mark_last_answer()
        self._show_welcome()
        if message.role == "user":
            self.scroll_to_bottom()  # a new question brings the reader to the end
        return bubble

    def truncate(self, position: int) -> None:
        """Remove the messages from `position` on (regenerate, edit-and-resend)."""
        self._streaming = None
        while self.bubbles and self.bubbles[-1].position >= position:
            bubble = self.bubbles.pop()
            bubble.setParent(None)
            bubble.deleteLater()
        self._older = [s for s in self._older if s.position < position]
        self._mark_last_answer()
        self._show_welcome()

    def set_editing(self, position: int) -> None:
        """Mark the person's message being edited (-1: none)."""
        for bubble in self.bubbles:
            if isinstance(bubble, UserMessage):
                bubble.set_editing(bubble.position == position)

    def bubble_at(self, position: int) -> MessageWidget | None:
        return next((b for b in self.bubbles if b.position == position), None)

    @property
    def message_count(self) -> int:
        return len(self._older) + len(self.bubbles)

    # -- a streaming answer --------------------------------------------------------------

    def begin_answer(self) -> None:
        question = self.bubbles[-1].message if self.bubbles else None
        reading = bool(question is not None and question.role == "user" and question.images)
        bubble = AssistantMessage(Message.assistant(""), self._next_position(), self.column,
                                  streaming=True, reading_image=reading, thoughts=self.thoughts)
        self._connect(bubble)
        self._layout.insertWidget(self._layout.count() - 1, bubble)
        bubble.show()
        self.bubbles.append(bubble)
        self._streaming = bubble
        self._mark_last_answer()

    def append_delta(self, text: str) -> None:
        if self._streaming is not None:
            self._streaming.append(text)

    def append_thought(self, text: str) -> None:
        if self._streaming is not None:
            self._streaming.append_thought(text)

    def finish_answer(self, answer: Answer) -> None:
        if self._streaming is None:
            self.begin_answer()
        assert self._streaming is not None
        self._streaming.message = Message.assistant(answer.text)
        self._streaming.finish(answer.text, AnswerDetails.of(answer))
        self._streaming = None
        self._mark_last_answer()

    def abandon_answer(self) -> None:
        """The answer failed: drop its empty message."""
        bubble = self._streaming
        self._streaming = None
        if bubble is not None and not bubble.text:
            self.bubbles.remove(bubble)
            bubble.setParent(None)
            bubble.deleteLater()
        elif bubble is not None:
            bubble.finish(bubble.text, None)
        self._mark_last_answer()

    def set_busy(self, busy: bool) -> None:
        """While an answer streams, Regenerate and Edit are off (they would conflict)."""
        self._busy = busy
        for bubble in self.bubbles:
            bubble.set_busy(busy)

    # -- scrolling -----------------------------------------------------------------------

    def scroll_to_bottom(self) -> None:
        self._stick = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.jump_button.hide()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        bar = self.verticalScrollBar()
        if self._anchor is not None:  # older messages were built above: keep the view still
            old_maximum, old_value = self._anchor
            self._anchor = None
            bar.setValue(old_value + (maximum - old_maximum))
        elif self.welcome.isVisibleTo(self):
            bar.setValue(0)  # the welcome reads from the top
        elif self._stick:
            bar.setValue(maximum)
        if maximum == 0 and self._older:
            self._build_older()  # the newest ones do not fill the view yet

    def _value_changed(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - _BOTTOM_SLACK_PX
        self.jump_button.setVisible(not self._stick and bar.maximum() > 0)
        if value <= _NEAR_TOP_PX and self._older and self._anchor is None:
            self._build_older()

    def _build_backfill(self) -> None:
        if self._older and self._backfill_left > 0 and self._anchor is None:
            self._backfill_left -= 3
            self._build_older(3)
        if self._older and self._backfill_left > 0:
            self._backfill.start()

    def _build_older(self, count: int = OLDER_BATCH) -> None:
        batch, self._older = self._older[-count:], self._older[:-count]
        bar = self.verticalScrollBar()
        self._anchor = None if self._stick else (bar.maximum(), bar.value())  # at the bottom: it stays there
        built = [self._make(item.message, item.position, item.details) for item in batch]
        for index, bubble in enumerate(built):
            self._layout.insertWidget(1 + index, bubble)  # after the welcome
        self.bubbles[:0] = built
        self.focusChainChanged.emit()

    def focusInEvent(self, event: QFocusEvent) -> None:
        """The ring shows where the keyboard went (Tab, a shortcut), not under a click."""
        super().focusInEvent(event)
        self._show_focus(event.reason() != Qt.FocusReason.MouseFocusReason)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._show_focus(False)

    def _show_focus(self, focused: bool) -> None:
        """A ring while the conversation itself has keyboard focus (arrows/PgUp/PgDn scroll)."""
        body = self.widget()  # it covers the viewport, so it carries the ring
        body.setProperty("focused", focused)
        body.style().unpolish(body)
        body.style().polish(body)
        body.update()

    def resizeEvent(self, event: QEvent) -> None:
        super().resizeEvent(event)
        viewport = self.viewport().geometry()
        self.jump_button.move(viewport.center().x() - 18, viewport.bottom() - 48)
        self.jump_button.raise_()

    # -- private -------------------------------------------------------------------------

    def _make(self, message: Message, position: int, details: AnswerDetails | None) -> MessageWidget:
        bubble: MessageWidget
        if message.role == "user":
            bubble = UserMessage(message, position, self.column)
        else:
            bubble = AssistantMessage(message, position, self.column, thoughts=self.thoughts)
            bubble.set_details(details)
        bubble.set_busy(self._busy)
        self._connect(bubble)
        return bubble

    def _connect(self, bubble: MessageWidget) -> None:
        bubble.editRequested.connect(self.editRequested.emit)
        bubble.regenerateRequested.connect(self.regenerateRequested.emit)
        bubble.readAloudRequested.connect(self.readAloudRequested.emit)
        bubble.imageOpened.connect(self.imageOpened.emit)

    def _next_position(self) -> int:
        return self.bubbles[-1].position + 1 if self.bubbles else len(self._older)

    def set_speaking(self, speaking: bool) -> None:
        """An answer is being read aloud: every speaker button stops it meanwhile."""
        for bubble in self.bubbles:
            if isinstance(bubble, AssistantMessage):
                bubble.set_reading(speaking)

    def focus_chain(self) -> list[QWidget]:
        """The controls Tab reaches inside the messages in view, top to bottom. Those of
        messages off screen are left to the mouse until scrolled to (arrows, PgUp and
        PgDn scroll while the conversation has focus): Tab into a long conversation
        used to go to the oldest message built and scroll the reader away."""
        chain: list[QWidget] = []
        view = self.viewport().rect()
        for bubble in self.bubbles:
            top = bubble.mapTo(self.viewport(), QPoint(0, 0)).y()
            shown = top < view.bottom() and top + bubble.height() > 0
            buttons = []
            for button in bubble.findChildren(QAbstractButton):
                reach = button.property("tabReach")
                if reach is None:  # its own policy, kept for when it is in view
                    reach = button.focusPolicy()
                    button.setProperty("tabReach", reach)
                button.setFocusPolicy(Qt.FocusPolicy(reach) if shown else Qt.FocusPolicy.ClickFocus)
                if shown and button.focusPolicy() & Qt.FocusPolicy.TabFocus:
                    buttons.append(button)
            under = [b for b in buttons if bubble.actions.isAncestorOf(b)]
            chain.extend([b for b in buttons if b not in under] + under)  # the content, then its actions
        return chain

    def _mark_last_answer(self) -> None:
        self.focusChainChanged.emit()
        last = self.bubbles[-1] if self.bubbles else None
        for bubble in self.bubbles:
            if isinstance(bubble, AssistantMessage):
                bubble.set_last(bubble is last and self._streaming is None)

    def _show_welcome(self) -> None:
        self.welcome.setVisible(not self.bubbles and not self._older)
