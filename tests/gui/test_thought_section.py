"""A reasoning model's thinking in the window: the folded "Thought for N s" section above
an answer, streamed or read back from the history. Real widgets, the real theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QTextBrowser

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, AnswerDetails, AnswerStats
from desktop.gui.chat import thought_section
from desktop.gui.chat.chat_view import ChatView
from desktop.gui.chat.message_widgets import AssistantMessage
from desktop.gui.chat.thought_section import ThoughtSection, duration_text, thought_title
from desktop.gui.theme import DARK, LIGHT
from desktop.services.history.conversation_store import ConversationStore

PLAN = "### Step 1\nLearn the keys.\n\n- C major\n- G major\n"


class Clock:
    """time.monotonic() for the section, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch) -> Clock:
    """Each test starts a session of its own (the fold's memory is per session)."""
    clock = Clock()
    monkeypatch.setattr(thought_section, "_clock", clock)
    return clock


def shown(qtbot, widget, width: int = 760):
    qtbot.addWidget(widget)
    widget.resize(width, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def details(reasoning: str, seconds: float, finish_reason="stop") -> AnswerDetails:
    stats = AnswerStats(ttft_s=0.5, prompt_tokens=20, prefill_tokens=20, prefill_s=0.4, completion_tokens=40,
                        decode_s=4.0, image_count=0, image_tokens=0, image_encode_s=0.0, total_s=5.0,
                        finish_reason=finish_reason)
    return AnswerDetails(stats, reasoning, seconds if reasoning else 0.0)


def streamed(qtbot, thought: str, answer: str, final: AnswerDetails, *, final_text: str | None = None):
    message = shown(qtbot, AssistantMessage(Message.assistant(""), 1, streaming=True))
    message.append_thought(thought)
    if answer:
        message.append(answer)
    message.finish(answer if final_text is None else final_text, final)
    return message


# -- 1. thinking that never closes, or is cut off --------------------------------------

def test_a_never_closed_block_the_engine_settled_as_the_answer_moves_down_into_it(qtbot, theme):
    """The model wrote "<think>" and never "</think>": it streamed as thinking, and the
    engine's Answer says it is the answer; the thought section goes, the answer shows."""
    text = "The sky is blue because air scatters blue light most."
    message = streamed(qtbot, text, "", details("", 0.0), final_text=text)
    assert not message.thought.isVisible() and message.thought.text == ""
    assert message.view.plain_text() == text


@pytest.mark.parametrize(("finish_reason", "title"), [
    ("cancelled", "Stopped while thinking"), ("length", "Thinking was cut off at the length limit")])
def test_thinking_cut_short_with_no_answer_says_so_and_is_open(qtbot, theme, finish_reason, title):
    message = streamed(qtbot, PLAN, "", details(PLAN, 12.0, finish_reason))
    assert message.thought.toggle.text() == title
    assert message.thought.opened and message.thought.body.isVisible()
    assert "Learn the keys." in message.thought.body.text()


def test_stopped_after_the_answer_began_is_an_ordinary_fold(qtbot, theme):
    message = streamed(qtbot, PLAN, "Practise daily.", details(PLAN, 12.0, "cancelled"))
    assert message.thought.toggle.text() == "Thought for 12 s" and not message.thought.opened


# -- 2. the keyboard ---------------------------------------------------------------------

@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space])
def test_enter_return_and_space_on_the_header_open_and_close_it(qtbot, theme, key):
    section = shown(qtbot, ThoughtSection(key=1))
    section.set_thought(PLAN, 3.0)
    section.toggle.setFocus()
    qtbot.keyClick(section.toggle, key)
    assert section.opened and section.body.isVisible()
    qtbot.keyClick(section.toggle, key)
    assert not section.opened and not section.body.isVisible()


# -- 3. looks ----------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_thinking_is_markdown_in_the_secondary_colour_set_off_by_a_rule(qtbot, theme, scheme):
    theme.force(scheme)
    palette = DARK if scheme == "dark" else LIGHT
    message = shown(qtbot, AssistantMessage(Message.assistant("Practise daily."), 1))
    message.set_details(details(PLAN, 3.0))
    section = message.thought
    caret = section.toggle.icon().pixmap(section.toggle.iconSize()).toImage()
    drawn = [(x, y) for x in range(caret.width()) for y in range(caret.height()) if caret.pixelColor(x, y).alpha() > 60]
    assert drawn and 10 <= max(max(p[1] for p in drawn) - min(p[1] for p in drawn) + 1,
                                max(p[0] for p in drawn) - min(p[0] for p in drawn) + 1) <= 14  # not a 6 px arrow
    inked = max(drawn, key=lambda p: caret.pixelColor(*p).alpha())
    assert caret.pixelColor(*inked).rgb() == QColor(palette.muted).rgb()  # the secondary colour
    section.toggle.click()
    qtbot.wait(10)
    text = section.body.text()
    assert "Step 1" in text and "C major" in text and "###" not in text and "- C" not in text
    prose = section.body.findChildren(QTextBrowser)
    assert prose and prose[0].palette().color(QPalette.ColorRole.Text) == QColor(palette.muted)
    image = section.body.grab().toImage()
    ratio = image.devicePixelRatio()
    assert image.pixelColor(int(1 * ratio), image.height() // 2) == QColor(palette.border)  # the rule
    thinking_ends = section.body.mapTo(message, QPoint(0, section.body.height())).y()
    assert message.view.geometry().top() - thinking_ends >= 8  # a paragraph's space before the answer


def test_a_folded_thought_renders_nothing_while_it_streams(qtbot, theme):
    section = shown(qtbot, ThoughtSection(key=1))
    for piece in PLAN.split(" "):
        section.append(piece + " ")
    assert section.body.view.widgets == ()  # folded: nothing rendered
    section.toggle.click()
    assert "Learn the keys." in section.body.text()
    section.append("\n\nMore.")
    assert section.body.view.streaming  # the answers' own streaming renderer


# -- 4. time and state -------------------------------------------------------------------

def test_durations_read_as_minutes_and_seconds():
    assert duration_text(14.4) == "14 s"
    assert duration_text(95) == "1 min 35 s"
    assert duration_text(120.2) == "2 min"
    assert thought_title(95) == "Thought for 1 min 35 s"
    assert thought_title(0.4) == "Thought for less than a second"


def test_the_clock_runs_while_thinking_and_stops_when_the_answer_begins(qtbot, theme, fresh_session):
    clock = fresh_session
    message = shown(qtbot, AssistantMessage(Message.assistant(""), 1, streaming=True))
    message.append_thought("Hmm.")
    clock.now += 5.2
    message.thought._show_title()  # what the one-second tick does
    assert message.thought.toggle.text() == "Thinking… 5 s"
    clock.now += 9.0
    message.append("Four.")
    assert message.thought.toggle.text() == "Thought for 14 s"
    clock.now += 30
    message.append(" Really.")
    assert message.thought.toggle.text() == "Thought for 14 s"  # stopped with the thinking
    message.finish("Four. Really.", details("Hmm.", 14.3))  # the engine's measure
    assert message.thought.toggle.text() == "Thought for 14 s"


def test_an_opened_streaming_thought_stays_open_when_the_person_comes_back(qtbot, theme, fresh_session):
    """Switching conversations rebuilds the messages: the streaming answer comes back
    from what has streamed so far, opened as it was and with its clock still running."""
    clock = fresh_session
    chat = shown(qtbot, ChatView(), 800)
    question = Message.user("Plan my year at the piano.")
    chat.add_message(question)
    chat.begin_answer()
    chat.append_thought("### Step 1\n")
    chat.bubbles[-1].thought.toggle.click()
    clock.now += 4
    chat.show_conversation([])  # another conversation
    clock.now += 6
    chat.show_conversation([_Stored(0, question, None)])  # back, as the controller does it
    chat.begin_answer()
    chat.append_thought("### Step 1\nLearn the keys.")
    again = chat.bubbles[-1].thought
    assert again.opened and "Learn the keys." in again.body.text()
    assert again.toggle.text() == "Thinking… 10 s"


def test_a_thought_opened_once_stays_open_when_its_conversation_is_shown_again(qtbot, theme):
    chat = shown(qtbot, ChatView(), 800)
    stored = [_Stored(0, Message.user("Plan?"), None), _Stored(1, Message.assistant("Practise."), details(PLAN, 3))]
    chat.show_conversation(stored)
    chat.bubbles[-1].thought.toggle.click()
    chat.show_conversation([])
    chat.show_conversation(stored)
    assert chat.bubbles[-1].thought.opened


# -- 5. read back from the history -------------------------------------------------------

@pytest.mark.parametrize(("answer_text", "finish_reason"), [("Practise daily.", "stop"), ("", "cancelled")])
def test_an_answer_read_back_from_the_history_shows_its_thought_as_it_streamed(
        qtbot, theme, tmp_path, answer_text, finish_reason):
    final = details(PLAN, 95.0, finish_reason)
    live = streamed(qtbot, PLAN, answer_text, final)
    store = ConversationStore(tmp_path / "history.sqlite3")
    try:
        conversation = store.create()
        store.append(conversation, Message.user("Plan?"))
        answer = Answer(answer_text, final.stats, reasoning=PLAN, thinking_s=95.0)
        store.append(conversation, Message.assistant(answer.text), details=AnswerDetails.of(answer))
        read_back = store.messages(conversation)
    finally:
        store.close()
    chat = shown(qtbot, ChatView(), 800)
    chat.show_conversation(read_back)
    loaded = chat.bubbles[-1].thought
    assert loaded.toggle.text() == live.thought.toggle.text()
    assert loaded.opened == live.thought.opened == (not answer_text)
    assert loaded.isVisible() and loaded.text == live.thought.text
    if not loaded.opened:
        loaded.toggle.click()
        live.thought.toggle.click()
    assert loaded.body.text() == live.thought.body.text()


class _Stored:
    """What the conversation store gives the chat (StoredMessage's fields it reads)."""

    def __init__(self, position: int, message: Message, answer_details: AnswerDetails | None) -> None:
        self.position, self.message, self.details = position, message, answer_details


def test_the_heading_does_not_jump_when_the_engines_measure_arrives(qtbot, theme, fresh_session):
    """The window's clock stopped at 5.4 s; the engine, counting from its first token,
    says 5.6 s: the heading stays "5 s" rather than turning into "6 s" at the end."""
    clock = fresh_session
    chat = shown(qtbot, ChatView(), 800)
    chat.add_message(Message.user("Why?"))
    chat.begin_answer()
    chat.append_thought("Because.")
    clock.now += 5.4
    chat.append_delta("Answer.")
    thought = chat.bubbles[-1].thought
    assert thought.toggle.text() == "Thought for 5 s"
    chat.finish_answer(Answer("Answer.", details("Because.", 5.6).stats, reasoning="Because.", thinking_s=5.6))
    assert thought.toggle.text() == "Thought for 5 s"
