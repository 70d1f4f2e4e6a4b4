"""Ask about my screen: a still of the screen, and a region dragged over it.

`RegionPicker` covers the screen with a still taken the moment it opens (so nothing
moves while the person chooses), dimmed except for the rectangle being dragged, with a
crosshair. Releasing the mouse takes that rectangle; Enter takes the whole screen; Esc
or a click without a drag cancels. The picture goes where a pasted one goes (the
composer's `add_image`), so it is checked, downsized and sent as a `data:` URI like
any other. Nothing is kept on disk.

Qt grabs the screen on X11, Windows and macOS (macOS asks the person once: the bundle's
Info.plist carries the Screen Recording usage text). Wayland allows no grab to a plain
client: there the app gives `ScreenAsk` the desktop's Screenshot portal
(`use_portal`), whose own dialog picks the part; its picture (the file the desktop
wrote, which the portal service reads and deletes) then goes the same way as a dragged
region. Without a portal, `screen_capture_problem()` says why not.

Signals:
    captured(QImage): the chosen part of the screen, at the screen's real pixels.
    cancelled(): Esc, or a click without a drag.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QRegion,
    QScreen,
)
from PySide6.QtWidgets import QWidget

from desktop.services.system.portals import PortalScreenshot

__all__ = ["RegionPicker", "ScreenAsk", "screen_capture_problem"]

_MIN_DRAG_PX = 4  # a smaller rectangle is a click: cancel
_DIM = QColor(0, 0, 0, 110)
_REDRAW_MS = 250  # for the screen to redraw without the hidden window


def screen_capture_problem() -> str:
    """Why the screen cannot be captured here ("" when it can)."""
    if QGuiApplication.platformName() == "wayland":
        return "Wayland lets no app take a picture of the screen directly; use a screenshot tool and paste it."
    if QGuiApplication.primaryScreen() is None:
        return "There is no screen to capture."
    return ""


class RegionPicker(QWidget):
    captured = Signal(QImage)
    cancelled = Signal()

    def __init__(self, screen: QScreen | None = None) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.Tool)
        self.setWindowTitle("Hearth: choose a part of the screen")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._screen = screen or QGuiApplication.primaryScreen()
        self.still = self._screen.grabWindow(0)  # the whole screen, now
        self.setGeometry(self._screen.geometry())
        self._start: QPoint | None = None
        self._end: QPoint | None = None

    def open(self) -> None:
        self.showFullScreen()
        self.raise_()
        self.activateWindow()
        self.setFocus()

    def selection(self) -> QRect:
        if self._start is None or self._end is None:
            return QRect()
        start, end = self._start, self._end  # the pixels from start up to, not including, end
        return QRect(min(start.x(), end.x()), min(start.y(), end.y()), abs(end.x() - start.x()),
                     abs(end.y() - start.y()))

    # -- events --------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawPixmap(self.rect(), self.still)
        chosen = self.selection()
        outside = QRect(self.rect())
        painter.save()
        painter.setClipRegion(self._outside(outside, chosen))
        painter.fillRect(outside, _DIM)
        painter.restore()
        if not chosen.isEmpty():
            painter.setPen(QPen(QColor("#5b8def"), 2))
            painter.drawRect(chosen.adjusted(0, 0, -1, -1))
            painter.setPen(QColor("white"))
            painter.drawText(chosen.bottomLeft() + QPoint(4, 16), f"{chosen.width()} × {chosen.height()}")
        else:
            painter.setPen(QColor("white"))
            painter.drawText(self.rect().adjusted(0, 24, 0, 0), Qt.AlignmentFlag.AlignHCenter,
                             "Drag over what Hearth should see · Enter: the whole screen · Esc: cancel")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._start = self._end = event.position().toPoint()
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._start is not None:
            self._end = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._start is None:
            return
        self._end = event.position().toPoint()
        chosen = self.selection()
        if chosen.width() < _MIN_DRAG_PX or chosen.height() < _MIN_DRAG_PX:
            self._finish(None)
        else:
            self._finish(chosen)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._finish(None)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish(self.rect())
        else:
            super().keyPressEvent(event)

    # -- helpers -------------------------------------------------------------------

    def _finish(self, chosen: QRect | None) -> None:
        self.hide()
        if chosen is None:
            self.cancelled.emit()
        else:
            ratio = self.still.devicePixelRatio()  # the still is in device pixels
            pixels = QRect(round(chosen.x() * ratio), round(chosen.y() * ratio),
                           round(chosen.width() * ratio), round(chosen.height() * ratio))
            self.captured.emit(self.still.copy(pixels).toImage())
        self.close()

    @staticmethod
    def _outside(whole: QRect, chosen: QRect) -> QRegion:
        region = QRegion(whole)
        return region.subtracted(QRegion(chosen)) if not chosen.isEmpty() else region



class ScreenAsk(QObject):
    """One capture for `window`: hide it (it is not what the person wants to show), let
    the screen redraw, pick a region (or let the portal's dialog pick); the window comes
    back either way.

    Signals:
        opened(RegionPicker): the picker is on screen.
        captured(QImage): the part of the screen chosen.
        failed(str): one line for the person (the portal's failure, or where a copy stayed).
    """

    opened = Signal(object)
    captured = Signal(QImage)
    failed = Signal(str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.picker: RegionPicker | None = None
        self.portal: PortalScreenshot | None = None

    def use_portal(self, portal: PortalScreenshot) -> None:
        """Take pictures through the desktop's Screenshot portal (Wayland); the app owns it."""
        self.portal = portal
        portal.captured.connect(self._from_portal)
        portal.cancelled.connect(self._portal_cancelled)  # bound methods: run on this (the GUI) thread
        portal.failed.connect(self._portal_failed)

    def problem(self) -> str:
        """Why no picture can be taken here ("" when it can; the portal answers later)."""
        return "" if self.portal is not None else screen_capture_problem()

    def start(self) -> None:
        if self.picker is not None or (self.portal is not None and self.portal.busy):
            return  # one at a time
        self._window.hide()
        QTimer.singleShot(_REDRAW_MS, self._pick if self.portal is None else self.portal.take)

    def _from_portal(self, data: bytes, note: str) -> None:
        image = QImage.fromData(data)
        if image.isNull():
            self._portal_failed("The desktop's screenshot is not an image Hearth can read.")
            return
        self._done(image)
        if note:
            self.failed.emit(note)

    def _portal_cancelled(self) -> None:
        self._done(None)

    def _portal_failed(self, message: str) -> None:
        self._done(None)
        self.failed.emit(message)

    def _pick(self) -> None:
        self.picker = RegionPicker(self._window.screen())
        self.picker.captured.connect(self._done)
        self.picker.cancelled.connect(lambda: self._done(None))
        self.picker.open()
        self.opened.emit(self.picker)

    def _done(self, image: QImage | None) -> None:
        self.picker = None
        self._window.show()
        self._window.raise_()
        self._window.activateWindow()
        if image is not None:
            self.captured.emit(image)
