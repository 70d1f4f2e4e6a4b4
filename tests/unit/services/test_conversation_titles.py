"""A new conversation's title: the question's first words, marked when there were more."""

from __future__ import annotations

from desktop.services.history.chat_session import _title_from


def test_a_long_question_is_cut_at_a_word_and_says_so():
    question = "How do I learn to play the piano in one year, practising every day, with no teacher at all?"
    assert _title_from(question) == "How do I learn to play the piano in one year, practising every day, with no…"
    assert _title_from(question.replace("with no", "with no,")) == (  # never ends on a comma
        "How do I learn to play the piano in one year, practising every day, with no…")
    assert _title_from("  Why is   the sky\nblue?  ") == "Why is the sky blue?"
    assert _title_from("") == "Image question"
