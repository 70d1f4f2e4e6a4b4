"""Icons from one set: Phosphor (MIT licence), the font the QtAwesome package ships (MIT).

`IconButton` is the window's icon button: an accessible name and a tooltip are
required, and it recolours itself when the theme switches (light/dark).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QToolButton, QWidget

from desktop.core.paths import repository_dir
from desktop.gui.theme import current_palette

__all__ = ["IconButton", "icon"]


_SIZES = (14, 16, 18, 20, 24, 32)


def icon(name: str, *, color: str | None = None) -> QIcon:
    """The Phosphor icon `name` (e.g. "copy", "paper-plane-right") in the theme's colour."""
    palette = current_palette()
    return _rendered(name, color or palette.muted, palette.text, palette.border)


@functools.lru_cache(maxsize=256)
def _rendered(name: str, normal: str, active: str, disabled: str) -> QIcon:
    """Drawn once per colour into plain pixmaps (1x and 2x)."""
    result = QIcon()
    for mode, color in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Active, active), (QIcon.Mode.Disabled, disabled)):
        for side in _SIZES:
            for scale in (1, 2):
                result.addPixmap(_glyph(name, color, side, scale), mode)
    return result


def _glyph(name: str, color: str, side: int, scale: int) -> QPixmap:
    family, charmap = _phosphor()
    pixmap = QPixmap(side * scale, side * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    font = QFont(family)
    font.setPixelSize(round(0.875 * side * scale))  # as QtAwesome draws it: room for the bearing
    painter.setFont(font)
    painter.setPen(QColor(color))
    painter.drawText(pixmap.rect(), int(Qt.AlignmentFlag.AlignCenter), chr(charmap[name]))
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    return pixmap


@functools.lru_cache(maxsize=1)
def _phosphor() -> tuple[str, dict[str, int]]:
    """The Phosphor font and its names, as the QtAwesome package ships them. Read as
    data: importing QtAwesome itself (through QtPy) costs ~0.2 s of start-up."""
    spec = importlib.util.find_spec("qtawesome")
    if spec is not None and spec.submodule_search_locations:
        fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    else:  # a packaged Hearth carries only the font (packaging/hearth.spec)
        fonts = repository_dir() / "qtawesome" / "fonts"
    font_file = max(fonts.glob("phosphor-[0-9]*.ttf"))
    charmap_file = max(fonts.glob("phosphor-charmap-*.json"))
    families = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(font_file)))
    if not families:
        raise RuntimeError(f"the icon font {font_file} could not be loaded")
    charmap = {key: int(value, 16) for key, value in json.loads(charmap_file.read_text()).items()}
    return families[0], charmap


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
