"""Word error rate, as `hearth bench` reports it for push-to-talk."""

from __future__ import annotations

import pytest

from desktop.core.word_errors import word_error_rate, words


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("turn on the lights", "Turn on the lights.", 0.0),  # case and punctuation do not count
        ("turn on the lights", "turn on lights", 0.25),  # a deletion
        ("turn on the lights", "turn on the kitchen lights", 0.25),  # an insertion
        ("turn on the lights", "turn off the lights", 0.25),  # a substitution
        ("turn on the lights", "", 1.0),
        ("", "anything", 1.0),  # no reference words: each inserted word counts against one
        ("the brown fox", "the round box", 2 / 3),
    ],
)
def test_word_error_rate(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_words_keep_apostrophes_and_numbers():
    assert words("Don't set 20 timers!") == ["don't", "set", "20", "timers"]
