"""What a person does in the window that must never lose or garble their work: edits
that stay with their conversation, typing ahead while an answer streams, Delete only
where focus is, scrolling back during an answer, no conflicting actions, Tab order.
The real window, a real ChatSession and SQLite, the real Gemma 3 270M engine."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from tests_helpers import THINK_FIRST

from desktop.app import connect_window
from desktop.core.conversation import Message
from desktop.core.engine_types import GenerationOptions
from desktop.gui.main_window import MainWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.history.conversation_store import ConversationStore

LONG = GenerationOptions(temperature=0.8, max_tokens=400, seed=7)
STORY = "Write a long story about a lighthouse keeper and the sea, at least 500 words."
SHORT = GenerationOptions(temperature=0, max_tokens=6)


@pytest.fixture
def make_window(qtbot, tmp_path):
    sessions = []

    def make(engine, options=SHORT):
        session = ChatSession(engine, tmp_path / "history.sqlite3", options=options)
        sessions.append(session)
        window = MainWindow()
        qtbot.addWidget(window)
        controller = connect_window(window, session)
        with qtbot.waitSignal(session.engineReady, timeout=60_000):
            session.start()
        window.resize(1000, 700)
        window.show()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return window, session, controller

    yield make
    for session in sessions:
        session.shutdown()


def seed(tmp_path, *conversations: tuple[str, int]) -> list[int]:
    """Conversations with `count` alternating messages each, written to the real store."""
    store = ConversationStore(tmp_path / "history.sqlite3")
    ids = []
    try:
        for title, count in conversations:
            conversation = store.create(title)
            for i in range(count):
                message = Message.user(f"{title} question {i}") if i % 2 == 0 else Message.assistant(
                    f"Answer {i} about {title}.\n\n```python\nprint({i})\n```\n\nMore words here.")
                store.append(conversation, message)
            ids.append(conversation)
    finally:
        store.close()
    return ids


def open_conversation(qtbot, window, session, conversation):
    with qtbot.waitSignal(session.conversationOpened, timeout=10_000):
        window.conversationSelected.emit(conversation)


def test_an_edit_stays_with_its_conversation(qtbot, make_window, gemma, tmp_path):
    first, second = seed(tmp_path, ("Alpha", 2), ("Beta", 2))
    window, session, _controller = make_window(gemma)
    open_conversation(qtbot, window, session, first)
    window.composer.edit.setPlainText("a draft for Alpha")
    qtbot.mouseClick(window.chat.bubbles[0].edit_button, Qt.MouseButton.LeftButton)
    assert window.composer.editing == 0 and window.composer.edit_banner.isVisible()
    assert window.composer.edit.toPlainText() == "Alpha question 0"
    assert window.chat.bubbles[0].bubble.property("editing")  # the message being edited is marked

    open_conversation(qtbot, window, session, second)  # the edit does not follow into Beta
    assert window.composer.editing is None and not window.composer.edit_banner.isVisible()
    assert window.composer.edit.toPlainText() == ""
    window.composer.edit.setPlainText("Beta's own question")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.composer.edit.toPlainText() == "")
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        pass
    beta = [b.message.text for b in window.chat.bubbles]
    assert beta[:3] == ["Beta question 0", "Answer 1 about Beta.\n\n```python\nprint(1)\n```\n\nMore words here.",
                        "Beta's own question"]

    open_conversation(qtbot, window, session, first)  # ... and comes back with Alpha
    assert window.composer.editing == 0 and window.composer.edit.toPlainText() == "Alpha question 0"
    assert window.chat.bubbles[0].bubble.property("editing")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)  # Esc ends it; the draft comes back
    assert window.composer.editing is None
    assert window.composer.edit.toPlainText() == "a draft for Alpha"
    store = ConversationStore(tmp_path / "history.sqlite3")
    try:
        assert next(s.message.text for s in store.messages(first)) == "Alpha question 0"
        assert len(store.messages(second)) == 4
    finally:
        store.close()


def test_cancel_button_ends_an_edit(qtbot, make_window, gemma, tmp_path):
    (first,) = seed(tmp_path, ("Alpha", 2))
    window, session, _controller = make_window(gemma)
    open_conversation(qtbot, window, session, first)
    window.composer.edit.setPlainText("kept")
    window.chat.bubbles[0].edit_button.click()
    qtbot.mouseClick(window.composer.cancel_edit_button, Qt.MouseButton.LeftButton)
    assert window.composer.editing is None and window.composer.edit.toPlainText() == "kept"


def test_enter_while_streaming_keeps_the_text_and_never_stops(qtbot, make_window, qwen_vision):
    window, session, _controller = make_window(qwen_vision, LONG)
    window.composer.edit.setPlainText(STORY)
    with qtbot.waitSignal(session.answerDelta, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.keyClicks(window.composer.edit, "next question")
    with qtbot.assertNotEmitted(session.answerFinished, wait=300):  # Enter does not stop the answer
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(session.answerDelta, timeout=30_000):
        pass
    assert window.composer.edit.toPlainText() == "next question"
    assert "Enter sends once" in window.composer.hint.text()
    answering = _controller.current
    _controller.switch_to(-1)  # away and back: the text and the hint are still there
    with qtbot.waitSignal(session.conversationOpened, timeout=30_000,
                          check_params_cb=lambda conversation, _stored: conversation == answering):
        _controller.switch_to(answering)
    assert window.composer.edit.toPlainText() == "next question"
    assert "Enter sends once" in window.composer.hint.text()
    with qtbot.waitSignal(session.answerFinished, timeout=120_000) as blocker:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)  # Esc stops it
    assert blocker.args[0].stats.finish_reason == "cancelled"
    assert window.composer.edit.toPlainText() == "next question"
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)  # now it sends
    assert [b.message.text for b in window.chat.bubbles if b.message.role == "user"][-1] == "next question"


def test_thinking_shows_until_the_first_words(qtbot, make_window, qwen_vision):
    window, session, _controller = make_window(qwen_vision, LONG)
    seen = []  # connected after the window's own slot: what the person sees as the answer starts
    session.answerStarted.connect(lambda _c: seen.append((window.chat.bubbles[-1].thinking.isVisibleTo(window),
                                                          window.chat.bubbles[-1].thinking.text())))
    window.composer.edit.setPlainText(STORY)
    with qtbot.waitSignal(session.answerStarted, timeout=30_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    answer = window.chat.bubbles[-1]
    assert seen and seen[0][0] and seen[0][1].startswith("Thinking")
    with qtbot.waitSignal(session.answerDelta, timeout=60_000):
        pass
    assert not answer.thinking.isVisible()
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        session.stop()
    assert "image encode" not in answer.stats_label.text()


def test_delete_acts_only_where_focus_is_and_can_be_undone(qtbot, make_window, gemma, tmp_path):
    first, _second = seed(tmp_path, ("Alpha", 2), ("Beta", 2))
    window, session, controller = make_window(gemma)
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        session.refresh()
    open_conversation(qtbot, window, session, first)
    answer = window.chat.bubbles[1]
    answer.view.setFocus()  # clicked into the answer's text
    deletes = []
    window.deleteRequested.connect(deletes.append)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    assert deletes == []
    window.conversations.setFocus()
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        qtbot.keyClick(window.conversations, Qt.Key.Key_Delete)
    assert deletes == [first]
    assert window.undo_bar.isVisible() and "Alpha" in window.undo_bar.label.text()
    assert controller.current == -1
    with qtbot.waitSignal(session.conversationOpened, timeout=10_000):
        qtbot.mouseClick(window.undo_bar.action_button, Qt.MouseButton.LeftButton)
    assert controller.current == first and not window.undo_bar.isVisible()
    assert next(b.message.text for b in window.chat.bubbles) == "Alpha question 0"
    window.activateWindow()  # keyboard shortcuts need the active window (a click into it)
    qtbot.waitUntil(window.isActiveWindow)
    window.conversations.setFocus()  # again, and undone by keyboard this time
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000):
        qtbot.keyClick(window.conversations, Qt.Key.Key_Delete)
    assert window.undo_bar.isVisible()
    with qtbot.waitSignal(session.conversationOpened, timeout=10_000):
        qtbot.keyClick(window.conversations, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert controller.current == first


def test_scrolling_back_during_an_answer_stays_put(qtbot, make_window, qwen_vision, tmp_path):
    (first,) = seed(tmp_path, ("Long", 20))
    window, session, _controller = make_window(qwen_vision, LONG)
    open_conversation(qtbot, window, session, first)
    bar = window.chat.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    window.composer.edit.setPlainText(STORY)
    with qtbot.waitSignal(session.answerDelta, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    bar.setValue(bar.maximum() // 3)  # the reader scrolls back
    held = bar.value()
    for _ in range(3):
        with qtbot.waitSignal(session.answerDelta, timeout=30_000):
            pass
    assert bar.value() == held  # not yanked to the bottom
    assert window.chat.jump_button.isVisible()
    regenerate = window.chat.bubbles[-1].regenerate_button
    assert not regenerate.isVisible() or not regenerate.isEnabled()  # no Regenerate on a streaming answer
    assert not window.chat.bubbles[-2].edit_button.isEnabled()
    qtbot.mouseClick(window.chat.jump_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(session.answerDelta, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # following again
    assert not window.chat.jump_button.isVisible()
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        session.stop()
    assert window.chat.bubbles[-1].regenerate_button.isVisible()
    assert sum(1 for b in window.chat.bubbles if b.message.role == "assistant") == 11


def test_an_answer_keeps_streaming_into_its_own_conversation(qtbot, make_window, qwen_vision, tmp_path):
    first, second = seed(tmp_path, ("Alpha", 2), ("Beta", 2))
    window, session, _controller = make_window(qwen_vision, LONG)
    open_conversation(qtbot, window, session, first)
    window.composer.edit.setPlainText(STORY)
    with qtbot.waitSignal(session.answerDelta, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    open_conversation(qtbot, window, session, second)  # opens at once, mid-answer
    assert next(b.message.text for b in window.chat.bubbles) == "Beta question 0"
    assert len(window.chat.bubbles) == 2
    open_conversation(qtbot, window, session, first)  # back: the answer so far, still streaming
    assert len(window.chat.bubbles) == 4 and window.chat.bubbles[-1].streaming
    with qtbot.waitSignal(session.answerFinished, timeout=60_000) as blocker:
        session.stop()
    assert window.chat.bubbles[-1].text == blocker.args[0].text
    store = ConversationStore(tmp_path / "history.sqlite3")
    try:
        assert len(store.messages(first)) == 4 and len(store.messages(second)) == 2
    finally:
        store.close()


def test_tab_reaches_every_control_in_order(qtbot, make_window, gemma, tmp_path):
    seed(tmp_path, ("Alpha", 2))
    window, _session, _controller = make_window(gemma)
    window.composer.edit.setFocus()
    qtbot.keyClicks(window.composer.edit, "x")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Tab)
    assert window.composer.edit.toPlainText() == "x"  # Tab moved focus, typed no tab
    seen: list[QWidget] = []
    for _ in range(40):
        widget = QApplication.focusWidget()
        if widget in seen:
            break
        seen.append(widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    needed = [window.new_button, window.search, window.conversations, window.models_button,
              window.settings_button, window.sidebar_button, window.model_picker, window.new_chat_button,
              window.composer.edit, window.composer.attach_button, window.composer.talk_button,
              window.composer.send_button]
    missing = [w.accessibleName() for w in needed if w not in seen]
    assert not missing
    assert all(w.accessibleName() for w in seen)
    row = [window.composer.attach_button, window.composer.capture_button, window.composer.talk_button,
           window.composer.send_button]
    assert [seen.index(w) for w in row] == list(range(seen.index(row[0]), seen.index(row[0]) + 4))  # as they sit


def test_new_chat_mid_answer_is_at_once_and_its_question_is_its_own(qtbot, make_window, qwen_vision, tmp_path):
    window, session, controller = make_window(qwen_vision, LONG)
    window.composer.edit.setPlainText(STORY)
    with qtbot.waitSignal(session.answerStarted, timeout=30_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    first = controller.current
    order = []
    session.conversationOpened.connect(lambda c, _s: order.append(("opened", c)))
    session.answerFinished.connect(lambda _a: order.append(("finished", None)))
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.chat.bubbles == [] and window.chat.welcome.isVisible()  # at once
    qtbot.waitUntil(lambda: ("opened", -1) in order, timeout=10_000)
    assert ("finished", None) not in order  # the session did not wait for the answer
    window.composer.edit.setPlainText("Name a prime number.")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)  # sent, not held: another chat
    assert window.composer.edit.toPlainText() == ""
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        session.stop()  # the story's answer ends...
    with qtbot.waitSignal(session.answerFinished, timeout=120_000):
        pass  # ... and the new chat's question is answered in its own conversation
    store = ConversationStore(tmp_path / "history.sqlite3")
    try:
        summaries = store.conversations()
        assert len(summaries) == 2
        second = next(s.id for s in summaries if s.id != first)
        assert next(m.message.text for m in store.messages(second)) == "Name a prime number."
        assert [m.message.role for m in store.messages(second)] == ["user", "assistant"]
        assert next(m.message.text for m in store.messages(first)) == STORY
    finally:
        store.close()
    assert controller.current == second and window.chat.bubbles[-1].message.role == "assistant"


def test_a_queued_question_shows_at_once_and_the_answering_chat_still_opens(qtbot, make_window, qwen_vision,
                                                                            tmp_path):
    window, session, controller = make_window(qwen_vision, LONG)
    window.composer.edit.setPlainText(STORY)
    with qtbot.waitSignal(session.answerDelta, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    first = controller.current
    finished = []
    session.answerFinished.connect(finished.append)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    window.composer.edit.setPlainText("Name a prime number.")
    with qtbot.waitSignal(session.conversationsChanged, timeout=10_000,
                          check_params_cb=lambda summaries: len(summaries) == 2):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)  # listed at once, answered in turn
    assert not finished
    queued = controller.current
    assert queued not in (-1, first) and "Name a prime" in window.title_label.text()
    open_conversation(qtbot, window, session, first)  # not held back by the queued question
    assert not finished
    assert next(b.message.text for b in window.chat.bubbles) == STORY
    assert window.chat.bubbles[-1].streaming and window.composer.busy
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        session.stop()
    with qtbot.waitSignal(session.answerFinished, timeout=120_000):
        pass  # then the queued one, in its own conversation
    store = ConversationStore(tmp_path / "history.sqlite3")
    try:
        assert [m.message.role for m in store.messages(queued)] == ["user", "assistant"]
        assert len(store.messages(first)) == 2
    finally:
        store.close()
    assert len(window.chat.bubbles) == 2  # chat 1 on screen: its own two messages


def test_a_reasoning_answer_shows_its_thinking_folded_away(qtbot, make_window, qwen_vision, tmp_path):
    """The thinking streams into a folded "Thinking…" section above the answer, which then
    reads "Thought for N s"; Space opens it; it comes back with the conversation, and the
    answer itself holds no thinking."""
    window, session, controller = make_window(qwen_vision, GenerationOptions(temperature=0, max_tokens=80))
    session.system_prompt = THINK_FIRST
    thoughts: list[str] = []
    session.answerThought.connect(thoughts.append)
    window.composer.edit.setPlainText("What is 7 times 6?")
    with qtbot.waitSignal(session.answerFinished, timeout=60_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    answer = window.chat.bubbles[-1]
    assert thoughts and "42" in "".join(thoughts)
    assert "42" in answer.text and "think>" not in answer.text
    assert answer.thought.isVisible() and answer.thought.toggle.text().startswith("Thought for")
    assert not answer.thought.body.isVisible()
    answer.thought.toggle.setFocus()
    qtbot.keyClick(answer.thought.toggle, Qt.Key.Key_Space)
    assert answer.thought.body.isVisible() and "42" in answer.thought.body.text()

    conversation = controller.current
    with qtbot.waitSignal(session.conversationOpened, timeout=10_000):  # the new chat's, empty
        window.newConversationRequested.emit()
    with qtbot.waitSignal(session.conversationOpened, timeout=10_000,  # read back from the history
                          check_params_cb=lambda opened, _messages: opened == conversation):
        window.conversationSelected.emit(conversation)
    again = window.chat.bubbles[-1]
    assert again.thought.isVisible() and again.thought.toggle.text().startswith("Thought for")
    assert again.thought.text == answer.thought.text and again.message.text == answer.text
