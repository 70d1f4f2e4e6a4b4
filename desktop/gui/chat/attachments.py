"""Images attached to messages: thumbnails and the large view."""

from __future__ import annotations

import base64

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop.core.conversation import Attachment

__all__ = ["ThumbnailRow", "attachment_pixmap", "show_image"]

_THUMB_PX = 56  # a thumbnail's height; wide pictures get up to three times that in width


def attachment_pixmap(attachment: Attachment, side: int) -> QPixmap:
    """The attachment scaled to fit a `side` x `side` square (it is a PNG data: URI)."""
    image = QImage.fromData(base64.b64decode(attachment.data_uri.split(",", 1)[1]))
    return QPixmap.fromImage(image).scaled(
        QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def show_image(attachment: Attachment, parent: QWidget) -> QDialog:
    """The image large, in a dialog that closes with Esc."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(attachment.source_name or "Image")
    label = QLabel(dialog)
    label.setPixmap(attachment_pixmap(attachment, 900))
    label.setAccessibleName(attachment.source_name or "Image")
    QVBoxLayout(dialog).addWidget(label)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


class ThumbnailRow(QHBoxLayout):
    """The images waiting to be sent, as thumbnails above the composer's text; a click
    on one removes it."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__()
        self._owner = owner  # the thumbnails' parent widget
        self.items: list[Attachment] = []
        self.addStretch(1)

    def add(self, attachment: Attachment) -> None:
        self.items.append(attachment)
        button = QToolButton(self._owner)
        button.setObjectName("Thumbnail")  # framed: a white screen capture on a white composer still shows
        width = max(24, min(3 * _THUMB_PX, round(_THUMB_PX * attachment.width / max(1, attachment.height))))
        button.setIcon(attachment_pixmap(attachment, max(width, _THUMB_PX)))  # a wide capture stays readable
        button.setIconSize(QSize(width, _THUMB_PX))
        button.setToolTip(f"{attachment.source_name}: click to remove")
        button.setAccessibleName(f"Remove {attachment.source_name}")
        button.clicked.connect(lambda: self._remove(attachment, button))
        self.insertWidget(self.count() - 1, button)

    def clear(self) -> None:
        self.items.clear()
        while self.count() > 1:
            item = self.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    def _remove(self, attachment: Attachment, button: QToolButton) -> None:
        self.items.remove(attachment)
        button.deleteLater()
