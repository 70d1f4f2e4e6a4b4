"""Hearth beyond its window: the tray icon, Quick Ask and the key that opens it from any
app, and keeping Hearth (and its loaded model) running when the window is closed.

Quick Ask's questions go through the window's own session, so each exchange is an
ordinary conversation from its first question: "Open in Hearth" just opens it, and what
is typed in Quick Ask and not sent goes along, after anything typed there already. Its
follow-ups stay in that conversation until Quick Ask's "New chat".

Quick Ask's unsent text outlives a quit as the window's drafts do: it is one more of
ChatController's drafts, under a key of its own (QUICK_DRAFT), kept on disk with them
and put back into Quick Ask at the next start. Not under its conversation's id: after a
restart Quick Ask starts a new exchange, and the text belongs where it was typed, not in
a conversation's draft in the main window (where it would also meet the text typed there).

The global key toggles, as launchers' do: it hides Quick Ask when it is in front.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop.app.chat_controller import NEW, ChatController
from desktop.core.conversation import Attachment
from desktop.core.engine_types import Answer
from desktop.core.settings import Settings
from desktop.gui.chat.composer import Draft
from desktop.gui.main_window import MainWindow
from desktop.gui.quick_ask import QuickAskWindow
from desktop.gui.tray import TrayIcon
from desktop.services.history.chat_session import ChatSession
from desktop.services.system.global_shortcut import AnyShortcut, make_shortcut, shortcut_problem
from desktop.services.system.portals import PortalShortcut

__all__ = ["QUICK_DRAFT", "Companion"]

log = logging.getLogger(__name__)
QUICK_DRAFT = -2  # Quick Ask's text in the drafts (-1 is the window's new chat; ids are conversations)
_KEEP_DRAFT_MS = 1000  # after the last keystroke, as the window's drafts


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
        self._keep_timer = QTimer(self)
        self._keep_timer.setSingleShot(True)
        self._keep_timer.setInterval(_KEEP_DRAFT_MS)
        self._keep_timer.timeout.connect(controller.keep_drafts)
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

    def toggle(self) -> None:
        """The global key: Quick Ask in front hides (everything kept); else it comes. In
        front is also where the desktop put the focus: shown again at once after a hide,
        it has it while Qt has not made it the active window again (X11)."""
        focused = QGuiApplication.focusWindow() is self.quick.windowHandle()
        if self.quick.isVisible() and (self.quick.isActiveWindow() or focused):
            self.quick.hide()
        else:
            self.summon()

    def shutdown(self) -> None:
        self._keep_timer.stop()  # the window's drafts, Quick Ask's with them, were kept just before
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
        quick.edit.textChanged.connect(self._quick_typed)
        session.draftsLoaded.connect(self._drafts_loaded)
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
        shortcut.activated.connect(self.toggle)  # before start: its thread may answer at once
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
        self._keep_timer.stop()
        self._controller.keep_drafts()  # sent: no longer a draft, on disk either

    def _drafts_loaded(self, kept: dict) -> None:
        """The last run's unsent Quick Ask text comes back there (ChatController holds it too)."""
        if QUICK_DRAFT in kept:
            self.quick.restore_draft(kept[QUICK_DRAFT])

    def _quick_typed(self) -> None:
        """Quick Ask's text is one of the window's drafts, kept on disk with them (by
        ChatController: a moment after typing stops, on every switch, and at quit)."""
        text = self.quick.edit.toPlainText()
        if text.strip():
            self._controller.drafts[QUICK_DRAFT] = Draft(text=text)
        else:
            self._controller.drafts.pop(QUICK_DRAFT, None)
        self._keep_timer.start()

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
        text, images = self.quick.take_draft()
        self.quick.hide()
        self._show_window()
        self._controller.switch_to(self._conversation)
        if text.strip() or images:
            self._carry_over(text, images)

    def _carry_over(self, text: str, images: tuple[Attachment, ...]) -> None:
        """Quick Ask's unsent text (and pictures) go on in the window's composer, on a new
        line after whatever is typed there (after an edit under way, once it is done)."""
        composer = self._window.composer
        draft = composer.take_draft()
        if draft.editing is None:
            draft = replace(draft, text=_joined(draft.text, text), attachments=draft.attachments + images)
        else:
            before_text, before_images = draft.before_edit
            draft = replace(draft, before_edit=(_joined(before_text, text), before_images + images))
        composer.restore_draft(draft)
        composer.edit.setFocus()

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


def _joined(first: str, second: str) -> str:
    """Both texts, the second on a new line; either alone when the other is empty."""
    if not first.strip():
        return second
    return first.rstrip("\n") + "\n" + second if second.strip() else first
