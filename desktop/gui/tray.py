"""Hearth in the system tray: a click shows or hides the window, the menu does the rest.

Signals:
    newChatRequested(): "New chat" (the window comes forward on a new chat).
    quickAskRequested(): "Quick ask".
    screenRequested(): "Ask about my screen".
    toggleRequested(): "Show Hearth" / "Hide Hearth", or a click on the icon.
    quitRequested(): "Quit Hearth" (the only way out while Hearth keeps running in the tray).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

__all__ = ["TrayIcon"]


class TrayIcon(QSystemTrayIcon):
    newChatRequested = Signal()
    quickAskRequested = Signal()
    screenRequested = Signal()
    toggleRequested = Signal()
    quitRequested = Signal()

    def __init__(self, icon: QIcon, window: QWidget, *, quick_ask_key: str = "") -> None:
        super().__init__(icon, window)
        self._window = window
        self.setToolTip("Hearth")
        self.menu = QMenu(window)
        self.menu.setObjectName("TrayMenu")
        self.new_chat = self._add("New chat", self.newChatRequested)
        self.quick_ask = self._add("Quick ask", self.quickAskRequested)
        self.set_quick_ask_key(quick_ask_key)
        self.screen = self._add("Ask about my screen", self.screenRequested)
        self.menu.addSeparator()
        self.toggle = self._add("Hide Hearth", self.toggleRequested)
        self.menu.addSeparator()
        self.quit = self._add("Quit Hearth", self.quitRequested)
        self.menu.aboutToShow.connect(self._name_toggle)
        self.setContextMenu(self.menu)
        self.activated.connect(self._clicked)

    def set_quick_ask_key(self, key: str) -> None:
        """The global key beside "Quick ask" (none: no key)."""
        self.quick_ask.setText(f"Quick ask\t{key}" if key else "Quick ask")

    def _add(self, text: str, signal: Signal) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(signal.emit)
        return action

    def _name_toggle(self) -> None:
        self.toggle.setText("Hide Hearth" if self._window.isVisible() else "Show Hearth")

    def _clicked(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggleRequested.emit()
