"""Deleted means gone, a damaged history is kept aside, and search keeps up with typing
(issue 14). The real window, ChatSession, SQLite store and Gemma 3 270M engine."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from desktop.app import chat_controller, connect_window
from desktop.core.conversation import Message
from desktop.core.engine_types import GenerationOptions
from desktop.gui.main_window import MainWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.history.conversation_store import ConversationStore

SECRET = "quagmirezephyr"


def raw_bytes(path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = ConversationStore(path)
    kept = store.create("Kept")
    store.append(kept, Message.user("an ordinary question"))
    secret = store.create("Secret")
    store.append(secret, Message.user(f"my {SECRET} plans"))
    store.close()
    return path, kept, secret


@pytest.fixture
def window_on(qtbot, gemma):
    sessions = []

    def make(path):
        session = ChatSession(gemma, path, options=GenerationOptions(temperature=0, max_tokens=4))
        sessions.append(session)
        window = MainWindow()
        qtbot.addWidget(window)
        controller = connect_window(window, session)
        with qtbot.waitSignal(session.conversationsChanged, timeout=60_000):
            session.start()
        window.resize(1000, 700)
        window.show()
        return window, session, controller

    yield make
    for session in sessions:
        session.shutdown()


def test_a_deleted_conversation_leaves_the_disk_when_the_undo_window_ends(qtbot, window_on, database,
                                                                          monkeypatch):
    path, kept, secret = database
    monkeypatch.setattr(chat_controller, "UNDO_SECONDS", 0.3)
    window, session, controller = window_on(path)
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        window.deleteRequested.emit(secret)
    assert SECRET.encode() in raw_bytes(path)  # still undoable: only flagged
    qtbot.waitUntil(lambda: SECRET.encode() not in raw_bytes(path), timeout=10_000)
    assert controller.deleted == []
    window.conversations.setFocus()
    with qtbot.assertNotEmitted(session.conversationOpened, wait=300):
        qtbot.keyClick(window.conversations, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    session.shutdown()
    store = ConversationStore(path)
    assert [c.id for c in store.conversations()] == [kept]
    store.close()


def test_quitting_within_the_undo_window_still_removes_it(qtbot, window_on, database):
    path, kept, secret = database
    window, session, controller = window_on(path)
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        window.deleteRequested.emit(secret)
    assert window.undo_bar.isVisible() and controller.deleted
    session.shutdown()  # what quitting does
    assert SECRET.encode() not in raw_bytes(path)
    store = ConversationStore(path)
    assert [c.id for c in store.conversations()] == [kept]
    store.close()


def test_undo_within_the_window_keeps_it(qtbot, window_on, database, monkeypatch):
    path, kept, secret = database
    monkeypatch.setattr(chat_controller, "UNDO_SECONDS", 0.5)
    window, session, _controller = window_on(path)
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        window.deleteRequested.emit(secret)
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        qtbot.mouseClick(window.undo_bar.action_button, Qt.MouseButton.LeftButton)
    qtbot.wait(800)  # past the undo window: its timer was stopped, nothing is purged
    session.shutdown()
    assert SECRET.encode() in raw_bytes(path)
    store = ConversationStore(path)
    assert sorted(c.id for c in store.conversations()) == sorted([kept, secret])
    store.close()


def test_a_damaged_history_is_kept_aside_and_the_window_says_so(qtbot, window_on, tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    before = path.read_bytes()
    window, session, _controller = window_on(path)
    qtbot.waitUntil(lambda: "kept as" in window.composer.notice.text(), timeout=10_000)
    assert "damaged" in window.composer.notice.text()
    kept = next(tmp_path.glob("history.sqlite3.damaged-*"))
    assert kept.read_bytes() == before
    window.composer.edit.setPlainText("hello")  # the fresh history takes new chats
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    assert window.conversations.count() >= 1


def test_only_the_newest_of_several_queued_searches_answers(qtbot, window_on, database):
    path, _kept, _secret = database
    _window, session, _controller = window_on(path)
    gate = threading.Event()
    session._put(gate.wait, quick=True)  # the session is busy while the person types
    results = []
    session.searchFinished.connect(results.append)
    for query in ("o", "or", "ord", "ordi", "ordinary"):
        session.search(query)
    with qtbot.waitSignal(session.searchFinished, timeout=10_000):
        gate.set()
    qtbot.wait(200)
    assert len(results) == 1 and results[0][0].snippet.startswith("an [ordinary]")


def test_typing_in_search_asks_once_when_typing_pauses(qtbot, window_on, database):
    path, _kept, _secret = database
    window, session, _controller = window_on(path)
    asked = []
    window.sidebar.searchRequested.connect(asked.append)
    window.search.setFocus()
    with qtbot.waitSignal(session.searchFinished, timeout=10_000):
        qtbot.keyClicks(window.search, "ordinary")
    assert asked == ["ordinary"]
    rows = [window.conversations.item(i).text() for i in range(window.conversations.count())]
    assert len(rows) == 1 and "ordinary" in rows[0]
