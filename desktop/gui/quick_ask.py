"""Quick Ask: a small window over whatever app is in front, one key away.

A question, and its answer streaming below it, rendered as answers are in the chat.
The exchange is an ordinary conversation in the history from the first question, so
"Open in Hearth" simply shows it in the main window to go on. Esc hides the window
(the answer keeps coming and is kept) and it comes back as it was left: the questions
and answers so far, and anything typed. Follow-ups stay in the same conversation until
"New chat" (Ctrl+N).
The screen button (Ctrl+Shift+S) attaches a part of the screen, as in the main window.
While an answer streams, Enter waits and keeps the text, as in the main window.
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

from PySide6.QtCore import QBuffer, QIODevice, Qt, Signal
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

from desktop.core.conversation import Message
from desktop.core.errors import ImageError
from desktop.core.images import normalise_image
from desktop.gui.chat.attachments import ThumbnailRow
from desktop.gui.chat.message_widgets import AssistantMessage
from desktop.gui.chat.prompt_edit import PromptEdit
from desktop.gui.icons import IconButton
from desktop.gui.screen_capture import ScreenAsk

__all__ = ["QuickAskWindow"]

TITLE = "Hearth Quick Ask"


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
        self.resize(620, 420)
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
        self.screen_ask = ScreenAsk(self)
        self.screen_ask.captured.connect(lambda image: self.add_image(image, "screen capture"))
        self.edit.setPlaceholderText("Ask Hearth anything (Enter sends, Esc hides)")
        self.edit.setAccessibleName("Question")
        self.edit.enterPressed.connect(self._send)
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
        self.status = QLabel("", self)
        self.status.setObjectName("Caption")
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
        self.reset()

    # -- what the app tells it ---------------------------------------------------------

    def summon(self) -> None:
        """Show it in front, ready to type, as it was left (New chat starts afresh)."""
        if not self.isVisible():  # where a launcher opens: centred, in the upper third
            room = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
            self.move(room.x() + (room.width() - self.width()) // 2, room.y() + room.height() // 5)
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
        self.open_button.setEnabled(False)
        self._set_tab_order()

    def begin_answer(self) -> None:
        """The answer is on its way ("Thinking…" pulses where it will appear)."""
        self._answering = True
        self.stop_button.show()

    def append(self, text: str) -> None:
        self.status.setText("")
        self.answer.append(text)

    def finish(self, text: str) -> None:
        self._answering = False
        self.stop_button.hide()
        self.status.setText("")
        self.answer.finish(text, None)
        self._settled()
        self.edit.setFocus()

    def fail(self, message: str) -> None:
        self._answering = False
        self.stop_button.hide()
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

    # -- events ----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
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
            if self._answering and text:
                self.status.setText("Enter sends once the answer is done · Stop stops it")
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
        self.scroll.ensureWidgetVisible(label)

    def _settled(self) -> None:
        """As in the chat, the last answer keeps its actions in view once it is done."""
        for answer in self._answers:
            answer.actions.set_pinned(answer is self.answer and not answer.streaming)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        """Reading order: the question, the answers (each one's content, then its actions),
        then the buttons at the bottom. Answers come later than those buttons, so again."""
        chain: list[QWidget] = [self.edit, self.capture_button, self.scroll]
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
