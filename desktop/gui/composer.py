"""Where the person writes: text, image attachments, send and stop.

Signals:
    submitted(str, tuple[Attachment, ...]): Enter or Send with text and/or images.
    stopRequested(): Stop (or Esc) while an answer streams.
    settingsRequested(): the person asked for the model settings (e.g. to add vision).
    talkPressed(): the push-to-talk button went down.
    talkReleased(): the push-to-talk button came up.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Attachment
from desktop.core.errors import ImageError
from desktop.core.images import DEFAULT_MAX_SIDE, load_image, normalise_image

__all__ = ["Composer", "PromptEdit", "attachment_pixmap"]

_IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff)"


def attachment_pixmap(attachment: Attachment, side: int) -> QPixmap:
    image = QImage.fromData(_png_bytes(attachment))
    return QPixmap.fromImage(image).scaled(
        QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _png_bytes(attachment: Attachment) -> bytes:
    import base64

    return base64.b64decode(attachment.data_uri.split(",", 1)[1])


class PromptEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter is a newline; pasted images become attachments."""

    enterPressed = Signal()
    imagesPasted = Signal(object)  # QMimeData

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


class Composer(QWidget):
    submitted = Signal(str, tuple)
    stopRequested = Signal()
    settingsRequested = Signal()
    talkPressed = Signal()
    talkReleased = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._attachments: list[Attachment] = []
        self._busy = False
        self.vision = False
        self.max_image_side = DEFAULT_MAX_SIDE

        self.edit = PromptEdit(self)
        self.edit.setPlaceholderText("Ask anything. Enter sends, Shift+Enter for a new line.")
        self.edit.setAccessibleName("Message")
        self.edit.setFixedHeight(72)
        self.thumbnails = QHBoxLayout()
        self.thumbnails.addStretch(1)
        self.notice = QLabel(self)
        self.notice.setAccessibleName("Composer notice")
        self.notice.setWordWrap(True)
        self.notice.setOpenExternalLinks(False)
        self.notice.linkActivated.connect(lambda _link: self.settingsRequested.emit())
        self.notice.hide()
        self.attach_button = QToolButton(self)
        self.attach_button.setText("Image…")
        self.attach_button.setAccessibleName("Attach image")
        self.send_button = QPushButton("Send", self)
        self.send_button.setAccessibleName("Send")
        self.send_button.setDefault(True)
        self.talk_button = QPushButton("Hold to talk", self)
        self.talk_button.setAccessibleName("Hold to talk")
        self.talk_button.setToolTip("Hold to speak (or hold Ctrl+Space); release to stop")
        self.level = QProgressBar(self)
        self.level.setAccessibleName("Microphone level")
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedHeight(6)
        self.level.hide()
        self._dictation_prefix = ""

        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.talk_button)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(self.thumbnails)
        layout.addWidget(self.notice)
        layout.addWidget(self.level)
        layout.addLayout(row)

        self.edit.enterPressed.connect(self._send_or_stop)
        self.edit.imagesPasted.connect(self.add_mime_data)
        self.send_button.clicked.connect(self._send_or_stop)
        self.attach_button.clicked.connect(self._pick_files)
        self.talk_button.pressed.connect(self.talkPressed.emit)
        self.talk_button.released.connect(self.talkReleased.emit)

    # -- public --------------------------------------------------------------------

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(self._attachments)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.send_button.setText("Stop" if busy else "Send")
        self.send_button.setAccessibleName("Stop" if busy else "Send")

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.setFocus()

    # -- dictation -----------------------------------------------------------------

    def set_listening(self, listening: bool) -> None:
        self.level.setVisible(listening)
        self.level.setValue(0)
        self.talk_button.setText("Listening…" if listening else "Hold to talk")
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
            self.show_notice("No speech was heard. Hold the button (or Ctrl+Space) while you speak.")
        self.edit.setFocus()

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def add_files(self, paths: list[Path]) -> None:
        for path in paths:
            if not self._vision_ok():
                return
            try:
                self._add(load_image(path, max_side=self.max_image_side))
            except ImageError as error:
                self.show_notice(str(error))
                return
        self.show_notice("")

    def add_mime_data(self, data: QMimeData) -> None:
        """Dropped or pasted: local image files, or image data from the clipboard."""
        if data.hasUrls() and any(u.isLocalFile() for u in data.urls()):
            self.add_files([Path(u.toLocalFile()) for u in data.urls() if u.isLocalFile()])
        elif data.hasImage():
            if not self._vision_ok():
                return
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            QImage(data.imageData()).save(buffer, "PNG")
            try:
                self._add(normalise_image(bytes(buffer.data()), name="pasted image", max_side=self.max_image_side))
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

    # -- private -------------------------------------------------------------------

    def _vision_ok(self) -> bool:
        if not self.vision:
            self.show_notice(
                'Images need a vision model (a model with an mmproj). <a href="settings">Open model settings</a>'
            )
        return self.vision

    def _add(self, attachment: Attachment) -> None:
        self._attachments.append(attachment)
        button = QToolButton(self)
        button.setIcon(attachment_pixmap(attachment, 48))
        button.setIconSize(QSize(48, 48))
        button.setToolTip(f"{attachment.source_name}: click to remove")
        button.setAccessibleName(f"Remove {attachment.source_name}")
        button.clicked.connect(lambda: self._remove(attachment, button))
        self.thumbnails.insertWidget(self.thumbnails.count() - 1, button)

    def _remove(self, attachment: Attachment, button: QToolButton) -> None:
        self._attachments.remove(attachment)
        button.deleteLater()

    def _clear_attachments(self) -> None:
        self._attachments.clear()
        while self.thumbnails.count() > 1:
            item = self.thumbnails.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    def _send_or_stop(self) -> None:
        if self._busy:
            self.stopRequested.emit()
            return
        self.send()

    def send(self) -> None:
        """Submit what is typed and attached (ignored while an answer streams)."""
        if self._busy:
            return
        text = self.edit.toPlainText().strip()
        if not text and not self._attachments:
            return
        self.submitted.emit(text, self.attachments)
        self.edit.clear()
        self._clear_attachments()
        self.show_notice("")

    def _pick_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Attach images", "", _IMAGE_FILTER)
        self.add_files([Path(n) for n in names])
