"""Images attached to messages: thumbnails and the large view."""

from __future__ import annotations

import base64

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from desktop.core.conversation import Attachment

__all__ = ["attachment_pixmap", "show_image"]


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
