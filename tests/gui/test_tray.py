"""The tray icon's menu follows Hearth's appearance, also when it changes while Hearth
runs: dark with light text in dark, its chosen item (the pointer's or the arrow keys')
plainly visible, and light again when switched back. This is the menu Qt draws itself
(X11 tray hosts, Windows): a real QMenu, shown offscreen and read pixel by pixel."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QColor, QIcon, QImage
from PySide6.QtWidgets import QWidget

from desktop.gui.theme import DARK, LIGHT, Palette
from desktop.gui.tray import TrayIcon

VISIBLE = 15  # lightness steps between the chosen item and the menu: seen at a glance


def shown(qtbot, tray: TrayIcon, chosen: QAction) -> QImage:
    """The menu as drawn, `chosen` being the item the keyboard or pointer is on."""
    menu = tray.menu
    menu.popup(QPoint(0, 0))
    qtbot.waitExposed(menu)
    menu.setActiveAction(chosen)
    image = menu.grab().toImage()
    menu.hide()
    return image


def row(tray: TrayIcon, action: QAction, image: QImage) -> tuple[QColor, int, int]:
    """An item's background (at its left edge), and its lightest and darkest pixels (its text)."""
    box = tray.menu.actionGeometry(action)
    y = box.center().y()
    lightness = [image.pixelColor(x, y).lightness() for x in range(box.left(), box.right())]
    return image.pixelColor(box.left() + 3, y), max(lightness), min(lightness)


def check(qtbot, tray: TrayIcon, palette: Palette) -> None:
    image = shown(qtbot, tray, tray.quick_ask)
    background, lightest, darkest = row(tray, tray.new_chat, image)
    assert background == QColor(palette.surface)
    if palette.dark:
        assert background.lightness() < 80 and lightest > 180  # light text on a dark menu
    else:
        assert background.lightness() > 200 and darkest < 90
    chosen, _, _ = row(tray, tray.quick_ask, image)
    assert abs(chosen.lightness() - background.lightness()) >= VISIBLE, (chosen.name(), background.name())


def test_the_tray_menu_is_dark_in_dark_and_follows_a_switch_while_running(qtbot, theme):
    window = QWidget()
    qtbot.addWidget(window)
    theme.force("dark")
    tray = TrayIcon(QIcon(), window, quick_ask_key="Ctrl+Alt+Space")
    assert tray.contextMenu() is tray.menu
    check(qtbot, tray, DARK)
    theme.force("light")
    check(qtbot, tray, LIGHT)
    theme.force("dark")
    check(qtbot, tray, DARK)
