"""A 1,000-message conversation opens at once (only the newest messages are built
first) and the older ones appear, in order, as the reader scrolls up; the empty
conversation offers example prompts. Real widgets, real SQLite."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from desktop.core.conversation import Message
from desktop.gui.chat.chat_view import BACKFILL, FIRST_SHOWN
from desktop.gui.main_window import MainWindow
from desktop.services.history.conversation_store import ConversationStore


def thousand(tmp_path):
    store = ConversationStore(tmp_path / "history.sqlite3")
    conversation = store.create("Long")
    for i in range(1000):
        store.append(conversation, Message.user(f"question {i}") if i % 2 == 0 else
                     Message.assistant(f"answer {i}\n\n```python\nprint({i})\n```"))
    stored = store.messages(conversation)
    store.close()
    return stored


def test_opening_builds_the_newest_first_and_older_on_scroll(qtbot, tmp_path):
    stored = thousand(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    chat = window.chat
    chat.show_conversation(stored)
    assert len(chat.bubbles) == FIRST_SHOWN  # drawn at once, before anything older
    assert [b.position for b in chat.bubbles] == list(range(1000 - FIRST_SHOWN, 1000))
    assert chat.message_count == 1000
    bar = chat.verticalScrollBar()
    qtbot.waitUntil(lambda: len(chat.bubbles) >= FIRST_SHOWN + BACKFILL)  # filled in right after
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # still at the newest
    assert chat.bubbles[-1].text == "answer 999\n\n```python\nprint(999)\n```"
    built = len(chat.bubbles)
    first_visible = chat.bubbles[0]
    bar.setValue(0)  # the reader scrolls to the top: older ones are built above
    qtbot.waitUntil(lambda: len(chat.bubbles) > built)
    positions = [b.position for b in chat.bubbles]
    assert positions == list(range(positions[0], 1000))
    qtbot.waitUntil(lambda: 0 <= first_visible.mapTo(chat.viewport(), QPoint(0, 0)).y() <= 100)  # stayed put
    assert chat.bubbles[0] is not first_visible  # older ones are above it
    assert len(chat.bubbles) < 200  # not all 1,000 at once


def test_example_prompts_fill_the_composer(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.chat.welcome.isVisible()
    qtbot.mouseClick(window.chat.welcome.buttons[1], Qt.MouseButton.LeftButton)
    assert window.composer.edit.toPlainText().startswith("Write a Python function")
    qtbot.mouseClick(window.chat.welcome.buttons[3], Qt.MouseButton.LeftButton)  # the spoken one
    assert "Ctrl+Space" in window.composer.notice.text()
    window.chat.add_message(Message.user("hello"))
    assert not window.chat.welcome.isVisible()


def test_example_cards_never_cut_a_line_mid_word(qtbot, theme):
    """At 800x600 with the sidebar open the cards are narrow: each line fits its card,
    and a line that had to be cut ends in "…" ("as if I w" was shown before)."""
    window = MainWindow()
    qtbot.addWidget(window)
    for width in (760, 1400):
        window.resize(width, 560)
        window.show()
        if not window.sidebar.isVisible():
            window.toggle_sidebar()
        qtbot.waitUntil(lambda: window.chat.welcome.buttons[0].width() > 0)
        QApplication.processEvents()
        for button in window.chat.welcome.buttons:
            room = button.width() - 30
            lines = button.text().split("\n")
            assert 2 <= len(lines) <= 3, lines
            too_wide = [line for line in lines if button.fontMetrics().horizontalAdvance(line) > room]
            assert too_wide == [], (width, button.width(), lines)
        assert "…" not in window.chat.welcome.buttons[2].text() or width < 1000  # room for it all when wide


def test_tab_visits_the_messages_in_view_and_never_jumps_away(qtbot, tmp_path):
    """Tab from the conversation goes to the buttons of a message on screen, not to the
    first message built far above (which scrolled the reader to it)."""
    stored = thousand(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    chat = window.chat
    chat.show_conversation(stored)
    bar = chat.verticalScrollBar()
    qtbot.waitUntil(lambda: len(chat.bubbles) >= FIRST_SHOWN + BACKFILL and bar.value() == bar.maximum())
    bottom = bar.value()
    chat.setFocus()
    seen = []
    for _ in range(12):  # forwards through the messages in view, to the composer's bars
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
        assert bar.value() >= bottom - chat.viewport().height(), "Tab scrolled far from where the reader was"
    inside = [w for w in seen if chat.isAncestorOf(w)]
    assert inside, "Tab never reached a message's buttons"
    for widget in inside:
        top = widget.mapTo(chat.viewport(), QPoint(0, 0)).y()
        assert -widget.height() <= top <= chat.viewport().height()
    bar.setValue(bar.maximum() // 2)  # the reader scrolls up: Tab now visits what is shown there
    qtbot.wait(300)
    chat.setFocus()
    qtbot.keyClick(chat, Qt.Key.Key_Tab)
    widget = QApplication.focusWidget()
    assert chat.isAncestorOf(widget)
    assert 0 <= widget.mapTo(chat.viewport(), QPoint(0, 0)).y() <= chat.viewport().height()
