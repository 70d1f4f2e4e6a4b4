"""Quick Ask in the app: the Companion with the real window, ChatController and
ChatSession over real SQLite, and the real Gemma 3 270M engine. What is typed in Quick
Ask and not sent outlives a quit and comes back there (the window's drafts stay the
window's), and goes when sent; "Open in Hearth" carries it into that conversation's
composer, after what is typed there; the global key toggles Quick Ask."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

import desktop.app.companion as companion_module
from desktop.app import connect_window
from desktop.app.chat_controller import NEW, ChatController
from desktop.app.companion import QUICK_DRAFT, Companion
from desktop.core.engine_types import GenerationOptions
from desktop.core.settings import Settings
from desktop.gui.main_window import MainWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.history.conversation_store import ConversationStore


class Hearth:
    """The parts of the app Quick Ask lives with, as HearthApp wires them."""

    def __init__(self, qtbot, engine, database: Path, *, key: str = "") -> None:
        self.session = ChatSession(engine, database, options=GenerationOptions(max_tokens=4, temperature=0.0))
        self.window = MainWindow()
        qtbot.addWidget(self.window)
        self.controller: ChatController = connect_window(self.window, self.session)
        self.companion = Companion(QApplication.instance(), self.window, self.session, self.controller,
                                   Settings(quick_ask_key=key))
        self.quick = self.companion.quick
        qtbot.addWidget(self.quick)
        with qtbot.waitSignal(self.session.draftsLoaded, timeout=30_000):
            self.session.start()
        self.window.show()

    def quit(self) -> None:
        """What quitting does (HearthApp.shutdown): the drafts are kept first."""
        self.controller.keep_drafts()
        self.companion.shutdown()
        self.session.shutdown()


def kept_drafts(database: Path) -> dict[int, str]:
    store = ConversationStore(database)
    try:
        return store.drafts()
    finally:
        store.close()


def ask_in_quick_ask(qtbot, hearth: Hearth, question: str) -> None:
    """A question sent from Quick Ask, saved and answered (in a few words)."""
    quick = hearth.quick
    quick.edit.setPlainText(question)
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: quick.open_button.isEnabled() and not quick.stop_button.isVisible()
                    and bool(quick.answer.text), timeout=60_000)


def test_quick_asks_unsent_text_outlives_a_quit_and_goes_when_sent(qtbot, gemma, tmp_path):
    database = tmp_path / "history.sqlite3"
    hearth = Hearth(qtbot, gemma, database)
    wanted = {QUICK_DRAFT: "Half a question in Quick Ask", NEW: "The window's own draft"}
    try:
        hearth.companion.summon()
        qtbot.keyClicks(hearth.quick.edit, "Half a question in Quick Ask")
        qtbot.keyClicks(hearth.window.composer.edit, "The window's own draft")
        qtbot.waitUntil(lambda: kept_drafts(database) == wanted, timeout=10_000)  # a crash loses a second at most
        qtbot.keyClick(hearth.quick.edit, Qt.Key.Key_Escape)
    finally:
        hearth.quit()
    assert kept_drafts(database) == wanted

    hearth = Hearth(qtbot, gemma, database)
    try:
        qtbot.waitUntil(lambda: hearth.quick.edit.toPlainText() == "Half a question in Quick Ask")
        assert hearth.window.composer.edit.toPlainText() == "The window's own draft"  # each where it was typed
        hearth.companion.summon()
        ask_in_quick_ask(qtbot, hearth, hearth.quick.edit.toPlainText())
        assert kept_drafts(database) == {NEW: "The window's own draft"}  # sent: no longer a draft
    finally:
        hearth.quit()


def test_open_in_hearth_carries_the_unsent_text_after_what_is_typed_there(qtbot, gemma, tmp_path):
    database = tmp_path / "history.sqlite3"
    hearth = Hearth(qtbot, gemma, database)
    quick, composer, controller = hearth.quick, hearth.window.composer, hearth.controller
    try:
        hearth.companion.summon()
        ask_in_quick_ask(qtbot, hearth, "Name a colour.")
        conversation = hearth.companion._conversation
        qtbot.keyClicks(composer.edit, "A new chat's own text")
        quick.edit.setPlainText("And a second colour?")
        quick.open_button.click()  # the window had nothing for this conversation: the text as it was
        assert controller.current == conversation and composer.edit.toPlainText() == "And a second colour?"
        assert quick.edit.toPlainText() == "" and not quick.isVisible()
        assert hearth.window.isVisible() and hearth.window.focusWidget() is composer.edit
        assert controller.drafts[NEW].text == "A new chat's own text"  # the new chat's stays with it

        hearth.companion.summon()
        quick.edit.setPlainText("And a third?")
        quick.open_button.click()  # the conversation is open there, with text: appended on a new line
        assert composer.edit.toPlainText() == "And a second colour?\nAnd a third?"

        controller.switch_to(NEW)
        hearth.companion.summon()
        quick.edit.setPlainText("A fourth?")
        quick.open_button.click()  # its draft was put away: it comes back, then the new text
        assert composer.edit.toPlainText() == "And a second colour?\nAnd a third?\nA fourth?"
        wanted = {conversation: "And a second colour?\nAnd a third?\nA fourth?", NEW: "A new chat's own text"}
        qtbot.waitUntil(lambda: kept_drafts(database) == wanted, timeout=10_000)  # Quick Ask's is gone

        composer.begin_edit(0, "Name a colour!")  # an earlier message is being edited there
        hearth.companion.summon()
        quick.edit.setPlainText("A fifth?")
        quick.open_button.click()  # the edit is left as it was; the text comes back after it
        assert composer.editing == 0 and composer.edit.toPlainText() == "Name a colour!"
        composer.cancel_edit()
        assert composer.edit.toPlainText() == "And a second colour?\nAnd a third?\nA fourth?\nA fifth?"
    finally:
        hearth.quit()


class FakeKey(QObject):
    """The global key, pressed by the test (the real one is in tests/e2e/test_companion.py)."""

    activated = Signal()
    failed = Signal(str)
    problem = ""

    def start(self) -> str:
        return ""

    def stop(self) -> None:
        pass


def test_the_global_key_toggles_quick_ask(qtbot, gemma, tmp_path, monkeypatch):
    """A second press used to leave it open: now it hides it when it is in front (all
    kept), and brings it to the front when another window is."""
    key = FakeKey()
    monkeypatch.setattr(companion_module, "shortcut_problem", lambda _platform: "")
    monkeypatch.setattr(companion_module, "make_shortcut", lambda _platform, _combination: key)
    hearth = Hearth(qtbot, gemma, tmp_path / "history.sqlite3", key="Ctrl+Alt+Space")
    quick = hearth.quick
    try:
        assert hearth.companion.shortcut is key
        key.activated.emit()
        qtbot.waitUntil(lambda: quick.isVisible() and quick.isActiveWindow())
        qtbot.keyClicks(quick.edit, "kept")
        key.activated.emit()
        assert not quick.isVisible()
        hearth.window.activateWindow()  # the desktop gives the focus back to the window behind
        qtbot.waitUntil(hearth.window.isActiveWindow)
        key.activated.emit()
        qtbot.waitUntil(lambda: quick.isVisible() and quick.isActiveWindow())
        assert quick.edit.toPlainText() == "kept" and quick.edit.hasFocus()
        hearth.window.activateWindow()  # another window in front, Quick Ask still open behind it
        qtbot.waitUntil(lambda: hearth.window.isActiveWindow() and not quick.isActiveWindow())
        key.activated.emit()  # brings it to the front rather than hiding it
        qtbot.waitUntil(quick.isActiveWindow)
        assert quick.isVisible()
    finally:
        hearth.quit()
