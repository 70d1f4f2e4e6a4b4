"""Icons from one set: Phosphor (MIT licence), through QtAwesome (MIT licence).

`IconButton` is the window's icon button: an accessible name and a tooltip are
required, and it recolours itself when the theme switches (light/dark).
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QToolButton, QWidget

from desktop.gui.theme import current_palette

__all__ = ["IconButton", "icon"]


_SIZES = (14, 16, 18, 20, 24, 32)


def icon(name: str, *, color: str | None = None) -> QIcon:
    """The Phosphor icon `name` (e.g. "copy", "paper-plane-right") in the theme's colour."""
    palette = current_palette()
    return _rendered(name, color or palette.muted, palette.text, palette.border)


@functools.lru_cache(maxsize=256)
def _rendered(name: str, normal: str, active: str, disabled: str) -> QIcon:
    """Drawn once per colour into plain pixmaps (1x and 2x): QtAwesome's own icons are
    re-painted on every request, and Qt asks them for 0-pixel sizes while laying out."""
    import qtawesome  # after the QApplication exists; it loads its fonts into Qt

    source = qtawesome.icon(f"ph.{name}", color=normal, color_active=active, color_disabled=disabled)
    result = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Active, QIcon.Mode.Disabled):
        for side in _SIZES:
            for scale in (1, 2):
                pixmap = source.pixmap(QSize(side * scale, side * scale), mode)
                pixmap.setDevicePixelRatio(scale)
                result.addPixmap(pixmap, mode)
    return result


class IconButton(QToolButton):
    """A flat icon button with a tooltip and an accessible name (Tab reaches it)."""

    def __init__(self, name: str, tooltip: str, parent: QWidget | None = None, *, size: int = 18,
                 color_role: str | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._color_role = color_role  # a Palette field, e.g. "accent_text"; None: muted
        self.setToolTip(tooltip)
        self.setAccessibleName(tooltip)
        self.setIconSize(QSize(size, size))
        self.setAutoRaise(True)
        self._refresh()

    def set_icon_name(self, name: str) -> None:
        self._name = name
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._refresh()

    def _refresh(self) -> None:
        color = getattr(current_palette(), self._color_role) if self._color_role else None
        self.setIcon(icon(self._name, color=color))
