"""Thinking told apart from the answer, on recorded streams cut every possible way."""

from __future__ import annotations

import pytest

from desktop.core.reasoning import Part, ThinkingSplitter, opens_thinking


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
