"""What of an answer is read aloud, and when each sentence is ready while it streams."""

from __future__ import annotations

import pytest

from desktop.core.speech_text import MAX_SENTENCE_CHARS, SpokenSentences, speakable

ANSWER = ("Sure! Here is **how** to do it.\n\n```python\nprint('never read')\n```\n\n"
          "1. Read [the docs](http://example.com).\n2. Run `pip install` now. Done")
SPOKEN = ["Sure!", "Here is how to do it.", "Read the docs.", "Run pip install now.", "Done"]


def test_markdown_is_read_as_its_words_and_code_blocks_not_at_all():
    assert speakable("# Title\n> *quoted* and __strong__ ~~gone~~ <b>tag</b> ![a cat](c.png)") == \
        "Title\nquoted and strong gone tag a cat"
    out = SpokenSentences()
    assert out.feed(ANSWER) + out.finish() == SPOKEN


@pytest.mark.parametrize("step", [1, 2, 3, 7, 50])
def test_streamed_in_any_pieces_the_same_sentences_come_out_each_once_it_is_whole(step):
    out, given = SpokenSentences(), []
    for start in range(0, len(ANSWER), step):
        piece = ANSWER[start:start + step]
        for sentence in out.feed(piece):
            assert sentence in SPOKEN  # never half a sentence, never code
            given.append(sentence)
    assert given + out.finish() == SPOKEN


def test_the_first_sentence_is_ready_before_the_answer_ends():
    out = SpokenSentences()
    assert out.feed("Paris is the capital of France. It has") == ["Paris is the capital of France."]
    assert out.feed(" many museums") == []


def test_a_code_block_still_being_written_is_never_read():
    out = SpokenSentences()
    assert out.feed("Look:\n```py\nx = 1. y = 2. ") == ["Look:"]
    assert out.feed("z = 3.\n``") == []
    assert out.feed("`\nThat is all.") == []
    assert out.finish() == ["That is all."]


def test_a_run_on_without_a_full_stop_is_cut_at_a_word_and_bounded():
    out = SpokenSentences()
    given = out.feed("word " * 300)
    assert given and all(len(s) <= MAX_SENTENCE_CHARS for s in given)
    assert all(len(s) <= MAX_SENTENCE_CHARS for s in out.finish())
