"""Where the person writes: one rounded box with the text, attachments, microphone and
send/stop inside it.

Nothing typed is ever dropped: Enter while an answer streams keeps the text (and
says Enter will work once the answer is done; Esc or the stop button stop it); an
edit of an earlier message is a visible mode with Cancel (Esc), and whatever was in
the composer before the edit comes back afterwards. `take_draft`/`restore_draft`
let the window keep a draft (and an edit) with each conversation.

Signals:
    submitted(str, tuple[Attachment, ...]): Enter or Send with text and/or images.
    editSubmitted(int, str): Enter or Send while editing the message at that position.
    editingChanged(int): the message being edited (its position), or -1 when none is.
    stopRequested(): the stop button while an answer streams.
    settingsRequested(): a notice's link asked for the model settings.
    talkPressed(): the microphone button went down.
    talkReleased(): the microphone button came up.
    captureRequested(): the screen button: attach a part of the screen (`add_image`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QEvent, QIODevice, QMimeData, QObject, QSize, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Attachment
from desktop.core.errors import ImageError
from desktop.core.images import DEFAULT_MAX_SIDE, load_image, normalise_image
from desktop.gui.chat.attachments import ThumbnailRow
from desktop.gui.chat.prompt_edit import PromptEdit
from desktop.gui.icons import IconButton

__all__ = ["Composer", "Draft"]

_IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff)"
_WAIT_HINT = "Enter sends once the answer is done · Esc stops it"


@dataclass(frozen=True)
class Draft:
    """What the composer holds for one conversation."""

    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    editing: tuple[int, str] | None = None  # (position, edited text) while editing a message
    before_edit: tuple[str, tuple[Attachment, ...]] = ("", ())  # comes back after the edit


class Composer(QWidget):
    submitted = Signal(str, tuple)
    editSubmitted = Signal(int, str)
    editingChanged = Signal(int)
    stopRequested = Signal()
    settingsRequested = Signal()
    talkPressed = Signal()
    talkReleased = Signal()
    captureRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Composer")
        self.setAcceptDrops(True)
        self._busy = False
        self._editing: int | None = None
        self._before_edit: tuple[str, tuple[Attachment, ...]] = ("", ())
        self.vision = False
        self.max_image_side = DEFAULT_MAX_SIDE
        self._dictation_prefix = ""

        self.notice_box = QFrame(self)
        self.notice_box.setObjectName("Notice")
        self.notice = QLabel(self.notice_box)
        self.notice.setAccessibleName("Composer notice")
        self.notice.setWordWrap(True)
        self.notice.setOpenExternalLinks(False)
        self.notice.linkActivated.connect(lambda _link: self.settingsRequested.emit())
        self.notice_close = IconButton("x", "Dismiss notice", self.notice_box, size=14)
        self.notice_close.clicked.connect(lambda: self.show_notice(""))
        notice_row = QHBoxLayout(self.notice_box)
        notice_row.setContentsMargins(12, 6, 6, 6)
        notice_row.addWidget(self.notice, 1)
        notice_row.addWidget(self.notice_close)
        self.notice_box.hide()

        self.edit_banner = QFrame(self)
        self.edit_label = QLabel("Editing your message: Enter resends it and replaces the answers after it.", self)
        self.edit_label.setObjectName("EditBanner")
        self.edit_label.setWordWrap(True)
        self.cancel_edit_button = QPushButton("Cancel", self.edit_banner)
        self.cancel_edit_button.setAccessibleName("Cancel editing")
        self.cancel_edit_button.setToolTip("Stop editing (Esc); your draft comes back")
        self.cancel_edit_button.clicked.connect(self.cancel_edit)
        banner_row = QHBoxLayout(self.edit_banner)
        banner_row.setContentsMargins(4, 0, 0, 0)
        banner_row.addWidget(self.edit_label, 1)
        banner_row.addWidget(self.cancel_edit_button)
        self.edit_banner.hide()

        self.box = QFrame(self)
        self.box.setObjectName("ComposerBox")
        self.edit = PromptEdit(self.box)
        self.edit.setPlaceholderText("Message Hearth")
        self.edit.setAccessibleName("Message")
        self.edit.setToolTip("Enter sends, Shift+Enter starts a new line")
        self.edit.installEventFilter(self)
        self.thumbnails = ThumbnailRow(self.box)
        self.attach_button = IconButton("paperclip", "Attach image", self.box, size=20)
        self.capture_button = IconButton("selection-plus", "Ask about my screen", self.box, size=20)
        self.capture_button.setToolTip("Attach a part of the screen (Ctrl+Shift+S)")
        self.talk_button = IconButton("microphone", "Hold to talk", self.box, size=20)
        self.talk_button.setToolTip("Hold to speak (or hold Ctrl+Space); release to stop")
        self.level = QProgressBar(self.box)
        self.level.setAccessibleName("Microphone level")
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedSize(80, 6)
        self.level.hide()
        self.hint = QLabel("", self.box)
        self.hint.setObjectName("Caption")
        self.send_button = IconButton("arrow-up", "Send", self.box, size=18, color_role="accent_text")
        self.send_button.setObjectName("SendButton")
        self.send_button.setFixedSize(QSize(34, 34))
        self._set_send_look()

        tools = QHBoxLayout()
        tools.setSpacing(4)
        tools.addWidget(self.attach_button)
        tools.addWidget(self.capture_button)
        tools.addWidget(self.talk_button)
        tools.addWidget(self.level)
        tools.addStretch(1)
        tools.addWidget(self.hint)
        tools.addWidget(self.send_button)
        inner = QVBoxLayout(self.box)
        inner.setContentsMargins(12, 8, 8, 8)
        inner.setSpacing(4)
        inner.addLayout(self.thumbnails)
        inner.addWidget(self.edit)
        inner.addLayout(tools)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 8)
        layout.setSpacing(6)
        layout.addWidget(self.notice_box)
        layout.addWidget(self.edit_banner)
        layout.addWidget(self.box)
        for first, second in itertools.pairwise((self.edit, self.attach_button, self.capture_button,
                                                 self.talk_button, self.send_button)):
            self.setTabOrder(first, second)

        self.edit.enterPressed.connect(self.send)
        self.edit.imagesPasted.connect(self.add_mime_data)
        self.send_button.clicked.connect(self._send_or_stop)
        self.attach_button.clicked.connect(self._pick_files)
        self.capture_button.clicked.connect(self.captureRequested.emit)
        self.talk_button.pressed.connect(self.talkPressed.emit)
        self.talk_button.released.connect(self.talkReleased.emit)

    # -- public --------------------------------------------------------------------

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(self.thumbnails.items)

    @property
    def editing(self) -> int | None:
        """The position of the message being edited, or None."""
        return self._editing

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._set_send_look()
        waiting = busy and bool(self.edit.toPlainText().strip() or self.thumbnails.items)
        self.hint.setText(_WAIT_HINT if waiting else "")  # also on coming back to typed-ahead text

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        self.edit.setFocus()

    def send(self) -> None:
        """Submit what is typed and attached. While an answer streams nothing is sent
        and nothing is cleared: the text waits in the box."""
        text = self.edit.toPlainText().strip()
        if self._busy:
            if text or self.thumbnails.items:
                self.hint.setText(_WAIT_HINT)
            return
        if self._editing is not None:
            if text:
                position = self._editing
                self._leave_edit()
                self.editSubmitted.emit(position, text)
            return
        if not text and not self.thumbnails.items:
            return
        self.submitted.emit(text, self.attachments)
        self.edit.clear()
        self.thumbnails.clear()
        self.show_notice("")

    def submit_spoken(self, text: str) -> None:
        """Voice mode's words, sent as they are; the typed draft and its pictures stay."""
        if text.strip():
            self.submitted.emit(text.strip(), ())

    # -- editing an earlier message ---------------------------------------------------

    def begin_edit(self, position: int, text: str) -> None:
        if self._editing is None:
            self._before_edit = (self.edit.toPlainText(), self.attachments)
            self.thumbnails.clear()
        self._editing = position
        self.editingChanged.emit(position)
        self.edit_banner.show()
        self._allow_images(False)
        self.set_text(text)

    def cancel_edit(self) -> None:
        """Leave the edit; what was typed before it comes back."""
        if self._editing is not None:
            self._leave_edit()

    def take_draft(self) -> Draft:
        """Everything the composer holds, which is then cleared (switching conversations)."""
        text = self.edit.toPlainText()
        if self._editing is not None:
            draft = Draft(editing=(self._editing, text), before_edit=self._before_edit)
        else:
            draft = Draft(text=text, attachments=self.attachments)
        if self._editing is not None:
            self.editingChanged.emit(-1)
        self._editing = None
        self.edit_banner.hide()
        self._allow_images(True)
        self.edit.clear()
        self.thumbnails.clear()
        self.hint.setText("")
        return draft

    def restore_draft(self, draft: Draft) -> None:
        self.take_draft()
        if draft.editing is not None:
            self.begin_edit(*draft.editing)
            self._before_edit = draft.before_edit
            return
        self.edit.setPlainText(draft.text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        for attachment in draft.attachments:
            self.thumbnails.add(attachment)

    # -- dictation -----------------------------------------------------------------

    def set_listening(self, listening: bool) -> None:
        self.level.setVisible(listening)
        self.level.setValue(0)
        self.talk_button.set_icon_name("waves" if listening else "microphone")
        self.talk_button.setToolTip("Listening… release to stop" if listening else "Hold to speak (or Ctrl+Space)")
        if listening:
            self._dictation_prefix = self.edit.toPlainText().rstrip()
            self.show_notice("")

    def set_level(self, level: float) -> None:
        self.level.setValue(int(level * 100))

    def show_partial(self, text: str) -> None:
        """The transcript so far, after whatever was typed before speaking."""
        self.edit.setPlainText(" ".join(p for p in (self._dictation_prefix, text) if p))
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

    def finish_dictation(self, text: str) -> None:
        self.set_listening(False)
        if text:
            self.show_partial(text)
        else:
            self.edit.setPlainText(self._dictation_prefix)
            self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
            self.show_notice("No speech was heard. Hold the microphone button (or Ctrl+Space) while you speak.")
        self.edit.setFocus()

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        self.notice_box.setVisible(bool(text))

    # -- images --------------------------------------------------------------------

    def add_files(self, paths: list[Path]) -> None:
        for path in paths:
            if not self.check_vision():
                return
            try:
                self.thumbnails.add(load_image(path, max_side=self.max_image_side))
            except ImageError as error:
                self.show_notice(str(error))
                return
        self.show_notice("")

    def add_mime_data(self, data: QMimeData) -> None:
        """Dropped or pasted: local image files, or image data from the clipboard."""
        if data.hasUrls() and any(u.isLocalFile() for u in data.urls()):
            self.add_files([Path(u.toLocalFile()) for u in data.urls() if u.isLocalFile()])
        elif data.hasImage():
            self.add_image(QImage(data.imageData()), "pasted image")

    def add_image(self, image: QImage, name: str) -> None:
        """A picture from the clipboard or the screen, checked and downsized like a file."""
        if not self.check_vision():
            return
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        try:
            self.thumbnails.add(normalise_image(bytes(buffer.data()), name=name, max_side=self.max_image_side))
            self.show_notice("")
        except ImageError as error:
            self.show_notice(str(error))

    # -- events --------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        self.add_mime_data(event.mimeData())
        event.acceptProposedAction()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The box shows the focus ring while its text field has focus."""
        if watched is self.edit and event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.box.setProperty("focused", event.type() == QEvent.Type.FocusIn)
            self.box.style().unpolish(self.box)
            self.box.style().polish(self.box)
        return False

    # -- private -------------------------------------------------------------------

    def _leave_edit(self) -> None:
        text, attachments = self._before_edit
        self._editing = None
        self._before_edit = ("", ())
        self.editingChanged.emit(-1)
        self.edit_banner.hide()
        self._allow_images(True)
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        for attachment in attachments:
            self.thumbnails.add(attachment)

    def _set_send_look(self) -> None:
        name, label = ("stop", "Stop") if self._busy else ("arrow-up", "Send")
        self.send_button.set_icon_name(name)
        self.send_button.setText(label)
        self.send_button.setAccessibleName(label)
        self.send_button.setToolTip("Stop the answer (Esc)" if self._busy else "Send (Enter)")

    def check_vision(self) -> bool:
        """True with a vision model; else a notice says images need one."""
        if not self.vision:
            self.show_notice(
                'Images need a vision model (a model with an mmproj). <a href="settings">Open model settings</a>'
            )
        return self.vision

    def _allow_images(self, allowed: bool) -> None:
        """No new images while an earlier message is being edited."""
        self.attach_button.setEnabled(allowed)
        self.capture_button.setEnabled(allowed)

    def _send_or_stop(self) -> None:
        if self._busy:
            self.stopRequested.emit()
            return
        self.send()

    def _pick_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Attach images", "", _IMAGE_FILTER)
        self.add_files([Path(n) for n in names])
