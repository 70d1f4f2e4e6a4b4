from __future__ import annotations

import pytest

from desktop.core.conversation import Attachment, Message
from desktop.core.errors import EngineError
from desktop.core.prompt import to_chat_messages, trim_history

IMAGE = Attachment(data_uri="data:image/png;base64,AAAA", width=1, height=1)


def test_messages_with_system_prompt_and_image_parts():
    history = [Message.user("hi"), Message.assistant("hello"), Message.user("what is this?", (IMAGE,))]
    messages = to_chat_messages(history, "be brief")
    assert messages[0] == {"role": "system", "content": "be brief"}
    assert messages[1] == {"role": "user", "content": "hi"}
    assert messages[2] == {"role": "assistant", "content": "hello"}
    assert messages[3]["content"] == [
        {"type": "image_url", "image_url": {"url": IMAGE.data_uri}},
        {"type": "text", "text": "what is this?"},
    ]


def test_no_system_message_when_empty():
    assert to_chat_messages([Message.user("x")], None)[0]["role"] == "user"


def by_words(message: Message) -> int:
    return len(message.text.split()) + 10 * len(message.images)


def test_trim_keeps_newest_turns_within_budget():
    history = [
        Message.user("one two three"), Message.assistant("four five"),
        Message.user("six"), Message.assistant("seven eight"), Message.user("nine ten"),
    ]
    kept = trim_history(history, budget=5, measure=by_words)
    assert [m.text for m in kept] == ["six", "seven eight", "nine ten"]


def test_trim_never_starts_with_the_assistant():
    history = [Message.user("a b c d"), Message.assistant("e"), Message.user("f")]
    kept = trim_history(history, budget=2, measure=by_words)
    assert [m.text for m in kept] == ["f"]


def test_trim_counts_images():
    history = [Message.user("old", (IMAGE,)), Message.assistant("ok"), Message.user("new")]
    assert len(trim_history(history, budget=12, measure=by_words)) == 1  # 11 for the image turn: dropped
    assert len(trim_history(history, budget=13, measure=by_words)) == 3


def test_a_question_too_long_for_the_context_is_an_error():
    with pytest.raises(EngineError, match="too long"):
        trim_history([Message.user("a " * 50)], budget=10, measure=by_words)


def test_empty_history():
    assert trim_history([], budget=10, measure=by_words) == []
