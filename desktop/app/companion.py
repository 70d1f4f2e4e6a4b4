"""Hearth beyond its window: the tray icon, Quick Ask and the key that opens it from any
app, and keeping Hearth (and its loaded model) running when the window is closed.

Quick Ask's questions go through the window's own session, so each exchange is an
ordinary conversation from its first question: "Open in Hearth" just opens it. Its
follow-ups stay in that conversation until Quick Ask's "New chat".
"""

from __future__ import annotations

import itertools
import logging

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop.app.chat_controller import NEW, ChatController
from desktop.core.engine_types import Answer
from desktop.core.settings import Settings
from desktop.gui.main_window import MainWindow
from desktop.gui.quick_ask import QuickAskWindow
from desktop.gui.tray import TrayIcon
from desktop.services.history.chat_session import ChatSession
from desktop.services.system.global_shortcut import AnyShortcut, make_shortcut, shortcut_problem
from desktop.services.system.portals import PortalShortcut

__all__ = ["Companion"]

log = logging.getLogger(__name__)


class Companion(QObject):
    def __init__(self, app: QApplication, window: MainWindow, session: ChatSession,
                 controller: ChatController, settings: Settings) -> None:
        super().__init__(window)
        self._app, self._window, self._session, self._controller = app, window, session, controller
        self.quick = QuickAskWindow()
        self.tray: TrayIcon | None = None
        self.shortcut: AnyShortcut | None = None
        self.shortcut_problem = ""
        self._requests = itertools.count(1)
        self._pending = 0  # the request number of the question on its way to the history
        self._conversation: int | None = None  # Quick Ask's conversation, once saved
        self._streaming = False
        self._waiting = False  # a Quick Ask question has no answer yet
        self._connect()
        self.apply(settings, None)

    def apply(self, settings: Settings, old: Settings | None) -> None:
        """The tray, the global key and what closing the window does, as `settings` say."""
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = TrayIcon(self._app.windowIcon(), self._window, quick_ask_key=settings.quick_ask_key)
            self._connect_tray(self.tray)
            self.tray.show()
        self._app.setQuitOnLastWindowClosed(not (settings.keep_in_tray and self.tray is not None))
        if old is None or settings.quick_ask_key != old.quick_ask_key:
            self._start_shortcut(settings.quick_ask_key)
            if self.tray is not None:
                self.tray.set_quick_ask_key(settings.quick_ask_key if self.shortcut is not None else "")

    def summon(self) -> None:
        self.quick.vision = self._window.composer.vision  # what the model in use can see
        self.quick.summon()

    def shutdown(self) -> None:
        if self.shortcut is not None:
            self.shortcut.stop()
            self.shortcut = None
        if self.tray is not None:
            self.tray.hide()
        self.quick.hide()

    # -- wiring ----------------------------------------------------------------------

    def _connect(self) -> None:
        quick, session = self.quick, self._session
        quick.asked.connect(self._ask)
        quick.stopRequested.connect(lambda: session.stop() if self._streaming else None)
        quick.openRequested.connect(self._open_in_window)
        quick.newRequested.connect(self._new_exchange)
        session.questionSaved.connect(self._saved)
        session.answerStarted.connect(self._started)
        session.answerDelta.connect(lambda text: quick.append(text) if self._streaming else None)
        session.answerFinished.connect(self._finished)
        session.failed.connect(self._failed)
        self._window.quitRequested.connect(self._app.quit)

    def _connect_tray(self, tray: TrayIcon) -> None:
        tray.newChatRequested.connect(self._new_chat)
        tray.quickAskRequested.connect(self.summon)
        tray.screenRequested.connect(self._window.ask_about_screen)
        tray.toggleRequested.connect(self._toggle_window)
        tray.quitRequested.connect(self._app.quit)

    def _start_shortcut(self, combination: str) -> None:
        if self.shortcut is not None:
            self.shortcut.stop()
            self.shortcut = None
        platform = self._app.platformName()
        self.shortcut_problem = shortcut_problem(platform) if combination else ""
        if not combination or self.shortcut_problem:
            return
        shortcut = make_shortcut(platform, combination)  # X11's grab, or the portal on Wayland
        shortcut.activated.connect(self.summon)  # before start: its thread may answer at once
        shortcut.failed.connect(self._shortcut_failed)
        if isinstance(shortcut, PortalShortcut):
            shortcut.bound.connect(self._shortcut_bound)
        self.shortcut_problem = shortcut.start()
        if self.shortcut_problem:
            log.info("no global key for Quick Ask: %s", self.shortcut_problem)
            return
        self.shortcut = shortcut

    def _shortcut_failed(self, _message: str) -> None:
        """The key stopped working, or the portal said no: Settings says why (a late
        signal from a shortcut already replaced changes nothing)."""
        if self.shortcut is None or not self.shortcut.problem:
            return
        self.shortcut_problem = self.shortcut.problem
        log.info("no global key for Quick Ask: %s", self.shortcut_problem)
        self.shortcut.stop()
        self.shortcut = None
        if self.tray is not None:
            self.tray.set_quick_ask_key("")

    def _shortcut_bound(self, trigger: str) -> None:
        """The desktop may bind another key than the one asked for: the tray shows its."""
        if self.tray is not None and trigger and self.shortcut is not None:
            self.tray.set_quick_ask_key(trigger)

    # -- Quick Ask's exchange --------------------------------------------------------

    def _ask(self, text: str, images: tuple) -> None:
        self._pending, self._waiting = next(self._requests), True
        target = NEW if self._conversation is None else self._conversation
        self._session.send(text, images, conversation=target, request=self._pending)

    def _new_exchange(self) -> None:
        self._conversation = None  # its first question makes a conversation

    def _saved(self, request: int, conversation: int) -> None:
        if request == self._pending:
            self._conversation = conversation
            self.quick.saved()

    def _started(self, conversation: int) -> None:
        self._streaming = self._conversation is not None and conversation == self._conversation
        if self._streaming:
            self.quick.begin_answer()

    def _finished(self, answer: Answer) -> None:
        if self._streaming:
            self._streaming = self._waiting = False
            self.quick.finish(answer.text)

    def _failed(self, message: str) -> None:
        if self._waiting:
            self._streaming = self._waiting = False
            self.quick.fail(message)

    def _open_in_window(self) -> None:
        if self._conversation is None:
            return
        self.quick.hide()
        self._show_window()
        self._controller.switch_to(self._conversation)

    # -- the window ------------------------------------------------------------------

    def _new_chat(self) -> None:
        self._show_window()
        self._controller.switch_to(NEW)

    def _toggle_window(self) -> None:
        if self._window.isVisible() and not self._window.isMinimized():
            self._window.hide()
        else:
            self._show_window()

    def _show_window(self) -> None:
        self._window.showNormal() if self._window.isMinimized() else self._window.show()
        self._window.raise_()
        self._window.activateWindow()
