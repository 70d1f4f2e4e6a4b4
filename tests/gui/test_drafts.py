"""What was typed and not sent outlives a quit (and a crash, but for the last second):
each conversation's draft comes back at the next start; a deleted conversation's goes
with it. The real window and ChatSession over real SQLite, the real Gemma 3 270M engine."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.app import connect_window
from desktop.core.conversation import Message
from desktop.gui.main_window import MainWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.history.conversation_store import ConversationStore


def open_window(qtbot, engine, database):
    session = ChatSession(engine, database)
    window = MainWindow()
    qtbot.addWidget(window)
    controller = connect_window(window, session)
    with qtbot.waitSignal(session.draftsLoaded, timeout=30_000):
        session.start()
    window.show()
    return window, session, controller


def with_conversation(database, title: str, question: str) -> int:
    """A saved conversation with one question, as a past session left it."""
    store = ConversationStore(database)
    try:
        conversation = store.create(title)
        store.append(conversation, Message.user(question))
        return conversation
    finally:
        store.close()


def kept_drafts(database) -> dict[int, str]:
    store = ConversationStore(database)
    try:
        return store.drafts()
    finally:
        store.close()


def test_drafts_come_back_after_a_quit(qtbot, gemma, tmp_path):
    database = tmp_path / "history.sqlite3"
    trip = with_conversation(database, "Trip", "Where should we go?")

    window, session, controller = open_window(qtbot, gemma, database)
    qtbot.keyClicks(window.composer.edit, "A half-written question")
    controller.switch_to(trip)
    qtbot.keyClicks(window.composer.edit, "And in spring?")
    controller.keep_drafts()  # what quitting does first (HearthApp.shutdown)
    session.shutdown()
    assert kept_drafts(database) == {-1: "A half-written question", trip: "And in spring?"}

    window, session, controller = open_window(qtbot, gemma, database)
    try:
        qtbot.waitUntil(lambda: window.composer.edit.toPlainText() == "A half-written question")
        controller.switch_to(trip)
        assert window.composer.edit.toPlainText() == "And in spring?"
    finally:
        session.shutdown()


def test_a_draft_is_kept_a_moment_after_typing_stops(qtbot, gemma, tmp_path):
    """No quit at all (a crash, a power cut): the draft is on disk a second later."""
    database = tmp_path / "history.sqlite3"
    window, session, _controller = open_window(qtbot, gemma, database)
    try:
        qtbot.keyClicks(window.composer.edit, "Do not lose me")
        qtbot.waitUntil(lambda: kept_drafts(database) == {-1: "Do not lose me"}, timeout=10_000)
        window.composer.edit.setFocus()
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)  # sent: no longer a draft
        qtbot.waitUntil(lambda: kept_drafts(database) == {}, timeout=10_000)  # the sent draft is gone
    finally:
        session.shutdown()


def test_a_deleted_conversations_draft_goes_with_it(qtbot, gemma, tmp_path):
    database = tmp_path / "history.sqlite3"
    secret = with_conversation(database, "Secret", "Something private")
    window, session, controller = open_window(qtbot, gemma, database)
    try:
        controller.switch_to(secret)
        qtbot.keyClicks(window.composer.edit, "private draft words")
        controller.switch_to(-1)
        qtbot.waitUntil(lambda: kept_drafts(database) == {secret: "private draft words"}, timeout=10_000)
        controller.delete(secret)
        controller._purge(secret)  # the undo time is over
        controller.keep_drafts()
        qtbot.waitUntil(lambda: kept_drafts(database) == {}, timeout=10_000)  # removed with its conversation
    finally:
        session.shutdown()
    for file in (database, database.with_name(database.name + "-wal")):
        assert not file.exists() or b"private draft words" not in file.read_bytes()


def test_a_new_chats_draft_comes_back_after_the_app_reopens_another_chat(qtbot, gemma, tmp_path):
    """Typed in a new chat, then another chat opened, then quit: at the next start the
    app opens that other chat, and New chat brings the draft back."""
    database = tmp_path / "history.sqlite3"
    trip = with_conversation(database, "Trip", "Where should we go?")
    window, session, controller = open_window(qtbot, gemma, database)
    qtbot.keyClicks(window.composer.edit, "draft one in new chat")
    controller.switch_to(trip)
    controller.keep_drafts()
    session.shutdown()

    session = ChatSession(gemma, database)
    window = MainWindow()
    qtbot.addWidget(window)
    controller = connect_window(window, session)
    try:
        with qtbot.waitSignal(session.draftsLoaded, timeout=30_000):
            session.start()
            controller.switch_to(trip)  # what HearthApp does with the last open conversation, at once
        qtbot.wait(100)
        controller.switch_to(-1)
        assert window.composer.edit.toPlainText() == "draft one in new chat"
    finally:
        session.shutdown()
