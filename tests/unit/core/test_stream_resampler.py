from __future__ import annotations

import numpy as np
import pytest

from desktop.core.errors import AudioError
from desktop.core.stream_resampler import StreamResampler


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def level_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) + 1e-12))


@pytest.mark.parametrize("rate", [8000, 22050, 24000, 44100, 48000, 22051])
def test_pieces_of_any_size_give_the_tone_at_16k_on_time(rate):
    samples = tone(1000, 1.0, rate)
    resampler = StreamResampler(rate, 16000)
    sizes = np.random.default_rng(rate).integers(1, 2000, 200)
    cuts = np.cumsum(sizes)
    pieces = np.split(samples, cuts[cuts < len(samples)])
    out = np.concatenate([resampler(piece) for piece in pieces])
    expected = tone(1000, 1.0, 16000)
    assert len(expected) - 40 <= len(out) <= len(expected)  # the last few wait for what follows
    middle = slice(200, len(out) - 200)  # past the silence the filter assumes before the start
    error = out[middle] - expected[: len(out)][middle]
    assert level_db(error) - level_db(expected[middle]) < -50  # in phase: output n is input n * rate / 16000


def test_what_16k_cannot_hold_is_filtered_out_not_folded_back():
    resampler = StreamResampler(22050, 16000)
    out = resampler(tone(9500, 1.0, 22050))  # would alias to 6.5 kHz
    assert level_db(out[200:]) - level_db(tone(9500, 1.0, 22050)) < -40


def test_one_piece_or_many_is_the_same():
    samples = tone(440, 0.5, 22050) + tone(3000, 0.5, 22050) * 0.3
    whole = StreamResampler(22050, 16000)(samples)
    streamed = StreamResampler(22050, 16000)
    parts = np.concatenate([streamed(piece) for piece in np.array_split(samples, 37)])
    assert np.allclose(whole, parts, atol=1e-6)


def test_the_same_rate_passes_through_and_an_absurd_one_is_refused():
    samples = tone(440, 0.1, 16000)
    assert np.array_equal(StreamResampler(16000, 16000)(samples), samples)
    with pytest.raises(AudioError, match="1 Hz"):
        StreamResampler(1, 16000)
