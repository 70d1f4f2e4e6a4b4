"""Thinking told apart from the answer, on recorded streams cut every possible way."""

from __future__ import annotations

import pytest

from desktop.core.engine_types import GenerationOptions
from desktop.core.reasoning import Part, ThinkingSplitter, opens_thinking, settle


def split(pieces: list[str], **kwargs) -> tuple[str, str]:
    splitter = ThinkingSplitter(**kwargs)
    parts: list[Part] = []
    for piece in pieces:
        parts += splitter.feed(piece)
    parts += splitter.finish()
    return ("".join(p.text for p in parts if p.kind == "thought"),
            "".join(p.text for p in parts if p.kind == "answer"))


def every_cut(text: str) -> list[list[str]]:
    return [[text[:i], text[i:j], text[j:]] for i in range(len(text) + 1) for j in range(i, len(text) + 1, 3)]


# What Qwen3 writes (it opens the block itself), and what DeepSeek-R1's template leaves
# the model to continue (the prompt ends with "<think>\n").
QWEN3 = "<think>\nThe user greets me. Reply kindly.\n</think>\n\nHello! How can I help?"
R1_CONTINUED = "Okay, 2 + 2 is 4.\n</think>\n\nThe answer is **4**."


@pytest.mark.parametrize("pieces", every_cut(QWEN3))
def test_a_thinking_block_is_split_off_however_the_stream_is_cut(pieces):
    assert split(pieces) == ("\nThe user greets me. Reply kindly.\n", "Hello! How can I help?")


@pytest.mark.parametrize("pieces", every_cut(R1_CONTINUED))
def test_a_block_the_template_opened_ends_at_its_marker(pieces):
    assert split(pieces, open_closing="</think>") == ("Okay, 2 + 2 is 4.\n", "The answer is **4**.")


def test_the_prompt_tells_whether_the_template_opened_thinking():
    assert opens_thinking("<|Assistant|><think>\n") == "</think>"
    assert opens_thinking("[INST]Hi[/INST][THINK]") == "[/THINK]"
    assert opens_thinking("<|im_start|>assistant\n") is None


def test_a_marker_later_in_the_answer_is_the_answer_s_own_text():
    text = "Use the `<think>` tag like this: <think>x</think>"
    assert split(list(text)) == ("", text)


def test_an_answer_without_thinking_passes_through_unchanged():
    assert split(["Par", "is is the capital", "."]) == ("", "Paris is the capital.")
    assert split(["<", "b>bold</b>"]) == ("", "<b>bold</b>")  # held only while it may be a marker


def test_thinking_that_never_closes_is_thinking_to_the_end():
    assert split(["<think>I am still", " thinking </thi"]) == ("I am still thinking </thi", "")


def test_the_other_marker_style():
    assert split(["[THI", "NK]plan[/TH", "INK]Done."]) == ("plan", "Done.")


def test_only_whitespace_so_far_is_held_then_given_to_the_answer():
    splitter = ThinkingSplitter()
    assert splitter.feed("\n ") == []
    assert splitter.finish() == [Part("answer", "\n ")]


# What happens when the stream ends: `settle` (used by the engines' PartRelay) decides.
# A small model that writes "<think>" and then simply answers, never closing the block:
NEVER_CLOSED = "<think>\nThe sky is blue because of the way light interacts with the atmosphere."


def settled(pieces: list[str], finish_reason, **kwargs) -> tuple[str, str]:
    """(answer, thought) as the relay hands them to the `Answer`."""
    splitter = ThinkingSplitter(**kwargs)
    parts: list[Part] = []
    for piece in pieces:
        parts += splitter.feed(piece)
    parts += splitter.finish()
    answer = "".join(p.text for p in parts if p.kind == "answer")
    thought = "".join(p.text for p in parts if p.kind == "thought")
    return splitter.final(answer, thought, finish_reason)


@pytest.mark.parametrize("pieces", every_cut(NEVER_CLOSED))
def test_a_block_that_never_closes_at_a_normal_end_is_the_answer(pieces):
    body = "The sky is blue because of the way light interacts with the atmosphere."
    assert settled(pieces, "stop") == (body, "")


@pytest.mark.parametrize("finish_reason", ["length", "cancelled"])
def test_thinking_cut_off_by_the_limit_or_stop_stays_thinking(finish_reason):
    assert settled(list(NEVER_CLOSED), finish_reason) == ("", "\nThe sky is blue because of the way light "
                                                             "interacts with the atmosphere.")


def test_a_template_opened_block_the_model_never_closes_is_the_answer_at_a_normal_end():
    assert settled(["The answer", " is 4."], "stop", open_closing="</think>") == ("The answer is 4.", "")
    assert settled(["Let me", " count"], "length", open_closing="</think>") == ("", "Let me count")


@pytest.mark.parametrize("finish_reason", ["stop", "length", "cancelled"])
def test_closed_thinking_and_its_answer_are_kept_as_they_came(finish_reason):
    assert settled(list(QWEN3), finish_reason) == ("Hello! How can I help?", "\nThe user greets me. Reply kindly.\n")


def test_settle_leaves_an_answer_and_plain_answers_alone():
    assert settle("Hi", "plan", "stop", unclosed=True) == ("Hi", "plan")  # something was answered
    assert settle("Hi", "", "stop", unclosed=False) == ("Hi", "")
    assert settle("", " \n", "stop", unclosed=True) == ("", " \n")  # nothing to promote


def relayed(feed, finish_reason, **kwargs):
    from desktop.services.engines.answer_stream import AnswerJob, PartRelay

    job = AnswerJob((), None, GenerationOptions())
    relay = PartRelay(job, **kwargs)
    feed(relay)
    relay.finish(finish_reason)
    events = []
    while not job.events.empty():
        events.append(job.events.get())
    return relay.answer, relay.thought, events


def test_the_relay_gives_the_engine_the_settled_answer():
    def feed(relay):
        for piece in ("<think>", "Paris is the", " capital."):
            relay.text(piece)

    assert relayed(feed, "stop")[:2] == ("Paris is the capital.", "")
    answer, thought, events = relayed(feed, "length")
    assert (answer, thought) == ("", "Paris is the capital.")
    assert relayed(feed, "cancelled")[:2] == ("", "Paris is the capital.")
    assert [kind for kind, _ in events] == ["thought", "thought"]  # streamed as thinking meanwhile


def test_the_relay_settles_thinking_a_server_sent_apart_with_no_answer():
    def apart(relay):
        relay.thinking("Just the answer, really.")

    def apart_then_answer(relay):
        relay.thinking("Plan.")
        relay.text("Done.")

    assert relayed(apart, "stop")[:2] == ("Just the answer, really.", "")
    assert relayed(apart, "length")[:2] == ("", "Just the answer, really.")
    assert relayed(apart_then_answer, "stop")[:2] == ("Done.", "Plan.")
