"""Quick Ask: a small window over whatever app is in front, one key away.

A question, and its answer streaming below it, rendered as answers are in the chat.
The exchange is an ordinary conversation in the history from the first question, so
"Open in Hearth" simply shows it in the main window to go on. Esc hides the window
(the answer keeps coming and is kept) and it comes back as it was left: the questions
and answers so far, and anything typed. Follow-ups stay in the same conversation until
"New chat" (Ctrl+N).
The screen button (Ctrl+Shift+S) attaches a part of the screen, as in the main window.
While an answer streams, Enter waits and keeps the text, and says so (the main window's hint).
One width, centred where it opened; as tall as the composer and the exchange, up to a cap.
The view follows a new question and its answer, unless the reader scrolled up (as the chat).
Enter presses a focused button; letters typed on a button or the transcript go to the composer.
An answer has the chat's own actions under it (the same widget): copy, and the speaker
that reads it aloud, or stops the reading while something is read (so does Esc then,
as in the main window; the next Esc hides).

Signals:
    asked(str, tuple[Attachment, ...]): Enter with a question and any pictures of the
        screen (the window then waits for `begin_answer`).
    openRequested(): "Open in Hearth" (or Ctrl+Enter): continue in the main window.
    stopRequested(): the stop button while the answer streams.
    newRequested(): "New chat" (Ctrl+N): the next question starts a new conversation.
    readAloudRequested(str): the speaker under an answer (its text): read it, or stop
        the reading if one is under way.
    silenceRequested(): Esc while something is read aloud.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QBuffer, QEvent, QIODevice, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QImage, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Attachment, Message
from desktop.core.errors import ImageError
from desktop.core.images import normalise_image
from desktop.gui.bottom_follower import BottomFollower
from desktop.gui.chat.attachments import ThumbnailRow
from desktop.gui.chat.message_widgets import AssistantMessage
from desktop.gui.chat.prompt_edit import PromptEdit
from desktop.gui.icons import IconButton
from desktop.gui.screen_capture import ScreenAsk
from desktop.gui.type_to_composer import type_to_composer

__all__ = ["QuickAskWindow"]

TITLE = "Hearth Quick Ask"
WIDTH = 620  # on a narrower screen, its width less the margins
MAX_HEIGHT = 640  # then the exchange scrolls
WAIT_HINT = "Enter sends once the answer is done · Stop stops it"
_EDGE = 16  # kept free at the screen's edges


class QuickAskWindow(QWidget):
    asked = Signal(str, tuple)
    openRequested = Signal()
    stopRequested = Signal()
    newRequested = Signal()
    readAloudRequested = Signal(str)
    silenceRequested = Signal()

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle(TITLE)
        self.setObjectName("QuickAsk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # its border, where no window manager draws one
        self.setFixedWidth(WIDTH)  # nothing inside may widen it (a long status line did)
        box = QFrame(self)
        box.setObjectName("ComposerBox")  # the main window's composer look
        self.edit = PromptEdit(box)
        self.thumbnails = ThumbnailRow(box)
        self.capture_button = IconButton("selection-plus", "Ask about my screen", box, size=20)
        self.capture_button.setToolTip("Attach a part of the screen (Ctrl+Shift+S)")
        self.capture_button.clicked.connect(self.ask_about_screen)
        self.vision = False  # the app says whether the model can see images
        inside = QVBoxLayout(box)
        inside.addLayout(self.thumbnails)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.edit, 1)
        edit_row.addWidget(self.capture_button, 0, Qt.AlignmentFlag.AlignBottom)
        inside.addLayout(edit_row)
        self.hint = QLabel("", box, objectName="Caption", wordWrap=True, visible=False)  # as the main window's
        inside.addWidget(self.hint)
        self.screen_ask = ScreenAsk(self)
        self.screen_ask.captured.connect(lambda image: self.add_image(image, "screen capture"))
        self.edit.setPlaceholderText("Ask Hearth anything (Enter sends, Esc hides)")
        self.edit.setAccessibleName("Question")
        self.edit.enterPressed.connect(self._send)
        self.edit.textChanged.connect(lambda: None if self.edit.toPlainText().strip() else self._hint(False))
        body = QWidget(self)
        body.setObjectName("QuickExchange")  # on the page's colour, as the chat is
        self._exchange = QVBoxLayout(body)  # question, answer, question, answer...
        self._exchange.setContentsMargins(4, 8, 12, 0)
        self._exchange.setSpacing(10)
        self._exchange.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("QuickScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        self.scroll.setAccessibleName("Answer")
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it wraps
        for unfocused in (self.scroll, self.scroll.viewport()):  # no Tab stop that shows nothing
            unfocused.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body.installEventFilter(self)  # its layout changes: the window's height follows (`_fit`)
        self.follower = BottomFollower(self.scroll)  # the chat's rule: follow the bottom until scrolled up
        self.status = QLabel("", self, objectName="Caption", wordWrap=True)  # wraps: a long line widened the window
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop the answer")
        self.stop_button.clicked.connect(self.stopRequested.emit)
        self.stop_button.hide()
        self.open_button = QPushButton("Open in Hearth", self)
        self.open_button.setToolTip("Go on with this conversation in the main window (Ctrl+Enter)")
        self.open_button.clicked.connect(self.openRequested.emit)
        self.open_button.setEnabled(False)
        self.new_button = QPushButton("New chat", self)
        self.new_button.setToolTip("Start a new conversation here (Ctrl+N)")
        self.new_button.clicked.connect(self._new_chat)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.status, 1)
        row.addWidget(self.stop_button)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 10)
        layout.addWidget(box)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(row)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._open_if_ready)
        QShortcut(QKeySequence("Ctrl+Shift+S"), self, self.ask_about_screen)
        QShortcut(QKeySequence.StandardKey.New, self, self._new_chat)
        self._answering = False
        self._answers: list[AssistantMessage] = []  # the exchange's, oldest first
        self._can_read = False  # the speakers show once the app reads Quick Ask's answers aloud
        self._reading = False
        self._blank_question, self._blank_answer = QLabel("", self), AssistantMessage(Message.assistant(""), 0, self)
        self._blank_question.hide()  # stand-ins until the first question
        self._blank_answer.hide()
        type_to_composer(self, self.edit)
        self.reset()

    # -- what the app tells it ---------------------------------------------------------

    def summon(self) -> None:
        """Show it in front, ready to type, as it was left (New chat starts afresh)."""
        if not self.isVisible():  # where a launcher opens: centred, in the upper third
            room = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
            self.setFixedWidth(min(WIDTH, room.width() - 2 * _EDGE))
            self.move(room.x() + (room.width() - self.width()) // 2, room.y() + room.height() // 5)
            self._fit()  # this screen's room
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()

    def reset(self) -> None:
        """An empty exchange (what was typed and not sent stays in the field)."""
        while self._exchange.count() > 1:
            item = self._exchange.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.question, self.answer = self._blank_question, self._blank_answer
        self._answers.clear()
        self.status.setText("")
        self._hint(False)
        self.open_button.setEnabled(False)
        self._set_tab_order()
        self.scroll.hide()  # the composer alone, until the first question
        self._fit()

    def begin_answer(self) -> None:
        """The answer is on its way ("Thinking…" pulses where it will appear)."""
        self._answering = True
        self.stop_button.show()
        self._hint(bool(self.edit.toPlainText().strip() or self.thumbnails.items))  # typed ahead already

    def append(self, text: str) -> None:
        self.status.setText("")
        self.answer.append(text)

    def finish(self, text: str) -> None:
        self._answering = False
        self.stop_button.hide()
        self._hint(False)
        self.status.setText("")
        self.answer.finish(text, None)
        self._settled()
        self.edit.setFocus()

    def fail(self, message: str) -> None:
        self._answering = False
        self.stop_button.hide()
        self._hint(False)
        if self.answer.streaming:  # what came before the failure stays, with its actions
            self.answer.finish(self.answer.text, None)
            self.answer.actions.setVisible(bool(self.answer.text.strip()))
            self._settled()
        self.status.setText(message)

    def set_read_aloud(self, available: bool) -> None:
        """Whether the app reads Quick Ask's answers aloud: no speaker button otherwise."""
        self._can_read = available
        for answer in self._answers:
            answer.read_button.setVisible(available)

    def set_speaking(self, speaking: bool) -> None:
        """Something is read aloud: every speaker here turns into its stop button."""
        self._reading = speaking
        for answer in self._answers:
            answer.set_reading(speaking)

    def show_notice(self, message: str) -> None:
        """One line from the app (e.g. why nothing can be read aloud), in the status line."""
        self.status.setText(message)

    def ask_about_screen(self) -> None:
        problem = self.screen_ask.problem()
        if problem or not self.vision:
            self.status.setText(problem or "Pictures need a model that sees images (Models).")
        else:
            self.screen_ask.start()

    def add_image(self, image: QImage, name: str) -> None:
        """A picture of the screen, checked and downsized as in the main window."""
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        try:
            self.thumbnails.add(normalise_image(bytes(buffer.data()), name=name))
            self.status.setText("")
        except ImageError as error:
            self.status.setText(str(error))

    def saved(self) -> None:
        """The question is in the history: it can be opened in the main window."""
        self.open_button.setEnabled(True)

    def take_draft(self) -> tuple[str, tuple[Attachment, ...]]:
        """What is typed and attached and not sent; the field is then empty (it moves on)."""
        draft = self.edit.toPlainText(), tuple(self.thumbnails.items)
        self.edit.clear()
        self.thumbnails.clear()
        return draft

    def restore_draft(self, text: str) -> None:
        """Text kept from the last run, unless something was typed meanwhile."""
        if not self.edit.toPlainText().strip():
            self.edit.setPlainText(text)
            self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

    # -- events ----------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        done = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit()  # a line more or less typed, a status line: no gap, no clipping
        return done

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest and watched is self.scroll.widget():
            self._fit()  # before the scroll area takes the new size of the exchange
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Keys the focused widget left alone: Enter presses a focused button (a button
        only knows Space), Esc silences a reading or hides."""
        focused = self.focusWidget()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain and isinstance(focused, QAbstractButton):
            if focused.isEnabled():
                focused.animateClick()
            return
        if event.key() == Qt.Key.Key_Escape:
            if self._reading:
                self.silenceRequested.emit()
            else:
                self.hide()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()  # closing is hiding: the app (and the answer) go on
        self.hide()

    def _send(self) -> None:
        text = self.edit.toPlainText().strip()
        images = tuple(self.thumbnails.items)
        if not (text or images) or self._answering:
            self._hint(self._answering and bool(text or images))  # kept, and sent with the next Enter
            return
        pictures = f" ({len(images)} picture{'s' if len(images) > 1 else ''})" if images else ""
        self._add_turn(text + pictures)
        self.edit.clear()
        self.thumbnails.clear()
        self.asked.emit(text, images)

    def _add_turn(self, question: str) -> None:
        """The question in bold, and the view its answer will stream into, below the last."""
        label = QLabel(question)
        label.setObjectName("QuickQuestion")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        answer = AssistantMessage(Message.assistant(""), len(self._answers), streaming=True)
        answer.readAloudRequested.connect(self.readAloudRequested.emit)
        answer.read_button.setVisible(self._can_read)
        answer.set_reading(self._reading)
        for widget in (label, answer):
            self._exchange.insertWidget(self._exchange.count() - 1, widget)
        self.question, self.answer = label, answer
        self._answers.append(answer)
        self._settled()
        self.status.setText("")
        self.scroll.show()
        self.follower.follow()  # a sent question comes into view, and its answer is followed

    def _settled(self) -> None:
        """As in the chat, the last answer keeps its actions in view once it is done."""
        for answer in self._answers:
            answer.actions.set_pinned(answer is self.answer and not answer.streaming)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        """Reading order: the question, the answers' buttons (each one's content's, then its
        actions), then the buttons at the bottom. Answers come later than those, so again."""
        chain: list[QWidget] = [self.edit, self.capture_button]
        for answer in self._answers:
            buttons = [b for b in answer.findChildren(QAbstractButton) if b.focusPolicy() & Qt.FocusPolicy.TabFocus]
            under = [b for b in buttons if answer.actions.isAncestorOf(b)]
            chain += [b for b in buttons if b not in under] + under
        chain += [self.new_button, self.stop_button, self.open_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _new_chat(self) -> None:
        if self._answering:
            self.status.setText("The answer is still being written: Stop it first.")
            return
        self.reset()
        self.newRequested.emit()
        self.edit.setFocus()

    def _open_if_ready(self) -> None:
        if self.open_button.isEnabled():
            self.openRequested.emit()

    def _hint(self, shown: bool) -> None:
        """Under the text that waits: Enter will send it once the answer is done."""
        self.hint.setText(WAIT_HINT if shown else "")
        self.hint.setVisible(shown)

    # -- size and scrolling ------------------------------------------------------------

    def _tallest(self) -> int:
        """MAX_HEIGHT, or less where the screen ends below the window."""
        room = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        return max(self.minimumSizeHint().height(), min(MAX_HEIGHT, room.bottom() - max(self.y(), room.y()) - _EDGE))

    def _fit(self) -> None:
        """As tall as the composer, the buttons and the exchange need (grown or shrunk:
        a streaming answer's transient lines left a gap), up to `_tallest`; beyond it
        the exchange scrolls (the follower keeps its bottom in view)."""
        width = self.width()
        if self.scroll.isHidden():
            height = self.layout().totalHeightForWidth(width)  # the wrapped lines' height at this width
        else:  # as the scroll area measures the exchange for its scroll range
            body, view = self.scroll.widget(), self.scroll.viewport()
            need = body.heightForWidth(view.width()) if body.hasHeightForWidth() else body.minimumSizeHint().height()
            height = min(self.height() - view.height() + need, self._tallest())
        if height != self.height():
            self.resize(width, height)
