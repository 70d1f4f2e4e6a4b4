"""The real window wired to a real ChatSession and the real engine (pytest-qt)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage

from desktop.app import connect_window
from desktop.core.engine_types import GenerationOptions
from desktop.gui.main_window import MainWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.history.conversation_store import ConversationStore


@pytest.fixture
def make_window(qtbot, tmp_path):
    sessions = []

    def make(engine, options=None):
        options = options or GenerationOptions(temperature=0, max_tokens=24)
        session = ChatSession(engine, tmp_path / "history.sqlite3", options=options)
        sessions.append(session)
        window = MainWindow()
        qtbot.addWidget(window)
        connect_window(window, session)
        with qtbot.waitSignal(session.engineReady, timeout=60_000):
            session.start()
        window.show()
        return window, session

    yield make
    for session in sessions:
        session.shutdown()


def stored(tmp_path):
    store = ConversationStore(tmp_path / "history.sqlite3")
    try:
        conversations = store.conversations()
        return [s.message for s in store.messages(conversations[0].id)] if conversations else []
    finally:
        store.close()


def send(qtbot, window, session, text):
    window.composer.edit.setPlainText(text)
    with qtbot.waitSignal(session.answerFinished, timeout=120_000) as blocker:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    return blocker.args[0]


def test_typed_question_streams_answer_and_is_stored(qtbot, make_window, qwen_vision, tmp_path):
    window, session = make_window(qwen_vision)
    deltas = []
    session.answerDelta.connect(deltas.append)
    answer = send(qtbot, window, session, "What is the capital of France? Answer with one word.")
    assert "paris" in answer.text.lower()
    assert deltas and "".join(deltas) == answer.text
    bubbles = window.chat.bubbles
    assert [b.message.role for b in bubbles] == ["user", "assistant"]
    assert "Paris" in bubbles[1].view.plain_text()
    assert "first token" in bubbles[1].stats_label.text()
    assert window.composer.edit.toPlainText() == ""
    assert window.state_label.text() == "Ready"
    assert "CPU" in window.model_label.text()
    qtbot.waitUntil(lambda: window.sidebar.highlighted_id() is not None)
    assert [m.role for m in stored(tmp_path)] == ["user", "assistant"]


def test_shift_enter_is_a_newline(qtbot, make_window, gemma):
    window, _session = make_window(gemma)
    qtbot.keyClicks(window.composer.edit, "line one")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.composer.edit, "line two")
    assert window.composer.edit.toPlainText() == "line one\nline two"
    assert window.chat.bubbles == []


def test_stop_ends_the_answer(qtbot, make_window, gemma):
    window, session = make_window(gemma, GenerationOptions(temperature=0.8, max_tokens=400, seed=3))
    window.composer.edit.setPlainText("Tell me a long story about the sea.")
    with qtbot.waitSignal(session.answerDelta, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    assert window.composer.send_button.text() == "Stop"
    with qtbot.waitSignal(session.answerFinished, timeout=60_000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert blocker.args[0].stats.finish_reason == "cancelled"
    assert window.state_label.text() == "Stopped"
    assert window.composer.send_button.text() == "Send"


def test_regenerate_replaces_the_last_answer(qtbot, make_window, gemma, tmp_path):
    window, session = make_window(gemma, GenerationOptions(temperature=0.9, max_tokens=12))
    send(qtbot, window, session, "Name a colour.")
    regenerate = window.chat.bubbles[-1].regenerate_button
    assert regenerate.isVisible()
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        qtbot.mouseClick(regenerate, Qt.MouseButton.LeftButton)
    assert [b.message.role for b in window.chat.bubbles] == ["user", "assistant"]
    assert [m.role for m in stored(tmp_path)] == ["user", "assistant"]


def test_edit_and_resend_replaces_the_rest(qtbot, make_window, qwen_vision, tmp_path):
    window, session = make_window(qwen_vision)
    send(qtbot, window, session, "What is the capital of France? Answer with one word.")
    qtbot.mouseClick(window.chat.bubbles[0].edit_button, Qt.MouseButton.LeftButton)
    assert window.composer.edit.toPlainText().startswith("What is the capital of France")
    answer = send(qtbot, window, session, "What is the capital of Germany? Answer with one word.")
    assert "berlin" in answer.text.lower()
    texts = [m.text for m in stored(tmp_path)]
    assert len(texts) == 2 and "Germany" in texts[0]
    assert len(window.chat.bubbles) == 2


def drop(widget, mime):
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def test_dropped_image_files_are_attached_and_sent(qtbot, make_window, qwen_vision, tmp_path):
    window, session = make_window(qwen_vision, GenerationOptions(temperature=0, max_tokens=6))
    paths = []
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0)]):
        paths.append(tmp_path / f"img{i}.png")
        Image.new("RGB", (300, 200), colour).save(paths[-1])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    drop(window, mime)
    assert len(window.composer.attachments) == 2
    answer = send(qtbot, window, session, "Compare these.")
    assert answer.stats.image_count == 2
    assert len(window.chat.bubbles[0].message.images) == 2
    assert window.composer.attachments == ()
    assert len(stored(tmp_path)[0].images) == 2


def test_bad_drop_keeps_the_typed_text(qtbot, make_window, qwen_vision, tmp_path):
    window, _session = make_window(qwen_vision)
    window.composer.edit.setPlainText("my careful question")
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(text_file))])
    drop(window.composer, mime)
    assert "not an image" in window.composer.notice.text()
    assert window.composer.notice.isVisible()
    assert window.composer.attachments == ()
    assert window.composer.edit.toPlainText() == "my careful question"


def test_pasted_clipboard_image_is_attached(qtbot, make_window, qwen_vision):
    window, _session = make_window(qwen_vision)
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(0x3366CC)
    QGuiApplication.clipboard().setImage(image)
    window.composer.edit.paste()
    QGuiApplication.clipboard().setImage(image)
    window.composer.edit.paste()  # the same image twice works
    attachments = window.composer.attachments
    assert len(attachments) == 2 and attachments[0].width == 64


def test_images_without_vision_model_explain_instead_of_failing(qtbot, make_window, gemma, tmp_path):
    window, _session = make_window(gemma)
    path = tmp_path / "x.png"
    Image.new("RGB", (8, 8)).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop(window.composer, mime)
    assert "vision model" in window.composer.notice.text()
    assert window.composer.attachments == ()


def test_search_and_delete_with_undo(qtbot, make_window, gemma, tmp_path):
    window, session = make_window(gemma, GenerationOptions(temperature=0, max_tokens=4))
    send(qtbot, window, session, "Tell me about zebras.")
    with qtbot.waitSignal(session.searchFinished, timeout=10_000):
        window.search.setText("zebra")
    rows = [window.conversations.item(i) for i in range(window.conversations.count())]
    assert len(rows) == 1 and "zebras" in rows[0].text()
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        window.search.setText("")
    conversation = window.sidebar.highlighted_id()
    assert conversation is not None  # the open conversation is highlighted
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        window.deleteRequested.emit(conversation)
    assert window.sidebar.highlighted_id() is None and window.undo_bar.isVisible()
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        qtbot.mouseClick(window.undo_bar.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sidebar.highlighted_id() == conversation)


def test_window_is_keyboard_usable_and_named(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.windowTitle().startswith("Hearth")
    names = {w.accessibleName() for w in (window.composer.edit, window.composer.send_button,
                                          window.composer.attach_button, window.search, window.conversations)}
    assert "" not in names


def test_new_chat_clears_the_view(qtbot, make_window, gemma):
    window, session = make_window(gemma, GenerationOptions(temperature=0, max_tokens=4))
    send(qtbot, window, session, "Hello there.")
    with qtbot.waitSignal(session.conversationOpened, timeout=10_000) as blocker:
        qtbot.mouseClick(window.new_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == -1
    qtbot.waitUntil(lambda: window.chat.bubbles == [])


def test_clicking_an_image_in_the_chat_shows_it_large(qtbot, make_window, qwen_vision, tmp_path):
    from PySide6.QtWidgets import QDialog, QLabel, QToolButton

    window, session = make_window(qwen_vision, GenerationOptions(temperature=0, max_tokens=2))
    path = tmp_path / "big.png"
    Image.new("RGB", (800, 600), (10, 200, 10)).save(path)
    window.composer.add_files([path])
    send(qtbot, window, session, "What is this?")
    thumb = next(b for b in window.chat.bubbles[0].findChildren(QToolButton) if b.property("attachment"))
    qtbot.mouseClick(thumb, Qt.MouseButton.LeftButton)
    dialog = window.findChild(QDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.findChild(QLabel).pixmap().width() > 96  # larger than the thumbnail
    dialog.close()


def test_vision_hint_offers_the_settings(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.composer.add_files([Path("/nonexistent.png")])  # no vision model: the hint, not an error
    assert 'href="settings"' in window.composer.notice.text()
    with qtbot.waitSignal(window.settingsRequested, timeout=1_000):
        window.composer.notice.linkActivated.emit("settings")


def test_composer_attachments_from_clipboard_file_dialog_and_removal(qtbot, make_window, qwen_vision, tmp_path,
                                                                      monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QToolButton

    window, _session = make_window(qwen_vision)
    paths = []
    for i in range(2):
        paths.append(tmp_path / f"p{i}.png")
        Image.new("RGB", (20, 20), (i * 100, 0, 0)).save(paths[-1])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(paths[0]))])
    QGuiApplication.clipboard().setMimeData(mime)
    window.composer.edit.paste()  # an image *file* copied in a file manager
    # The clipboard owns that QMimeData; left there, Qt would delete the Python-made
    # object at process exit, after Python has gone (a segfault in shiboken).
    QGuiApplication.clipboard().clear()
    # The native file dialog cannot be driven here; its static call is stood in for.
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(paths[1])], ""))
    qtbot.mouseClick(window.composer.attach_button, Qt.MouseButton.LeftButton)
    assert [a.source_name for a in window.composer.attachments] == ["p0.png", "p1.png"]
    remove = next(b for b in window.composer.findChildren(QToolButton) if b.accessibleName() == "Remove p0.png")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert [a.source_name for a in window.composer.attachments] == ["p1.png"]


def test_giant_image_is_refused_inline(qtbot, make_window, qwen_vision, tmp_path):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = tmp_path / "huge.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    window, _session = make_window(qwen_vision)
    window.composer.edit.setPlainText("keep me")
    window.composer.add_files([bomb])
    assert "too large" in window.composer.notice.text()
    assert window.composer.attachments == () and window.composer.edit.toPlainText() == "keep me"


def test_readme_shortcuts(qtbot):
    """The keyboard shortcuts the README promises, on the real window."""
    from desktop.services.history.conversation_store import ConversationSummary

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts fire only in the active window
    with qtbot.waitSignal(window.newConversationRequested, timeout=1_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.settingsRequested, timeout=1_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.modelsRequested, timeout=1_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_M,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.search.hasFocus)
    window.show_conversations([ConversationSummary(7, "Trip", 0.0, 0.0, 2)])
    window.conversations.setCurrentRow(1)  # row 0 is the "Older" heading
    window.conversations.setFocus()
    with qtbot.waitSignal(window.deleteRequested, timeout=1_000) as blocker:
        qtbot.keyClick(window.conversations, Qt.Key.Key_Delete)
    assert blocker.args == [7]
    editing = window.conversations.State.EditingState
    qtbot.keyClick(window.conversations, Qt.Key.Key_F2)  # rename by keyboard
    qtbot.waitUntil(lambda: window.conversations.state() == editing)
    qtbot.keyClick(window.conversations.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.conversations.state() != editing)
    point = window.conversations.visualItemRect(window.conversations.item(1)).center()
    viewport = window.conversations.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)  # a real double-click starts with a press
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: window.conversations.state() == editing)


def test_the_first_window_fits_a_small_screen(qtbot):
    """No saved size yet: the window opens inside the screen (offscreen's is 800 wide),
    not at its usual 1180x780 hanging off an 800x600 display."""
    window = MainWindow()
    qtbot.addWidget(window)
    room = window.screen().availableGeometry()
    assert window.width() <= room.width() and window.height() <= room.height()
    assert window.minimumWidth() <= room.width()
