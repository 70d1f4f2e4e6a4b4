"""The echo canceller without sound devices: what the speaker plays, stamped with when it
is heard, comes back for the moments the microphone asks about; WebRTC's module (real,
through livekit) takes a synthetic echo out and keeps the person; without livekit the
sound passes through and one line says why."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from desktop.services.speech.echo_canceller import EchoCanceller, EchoReference

RATE = 16000


def babble(seconds: float, seed: int) -> np.ndarray:
    """Speech-like sound: noise shaped to speech's band, in syllables of about 200 ms."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    noise = np.convolve(rng.normal(0, 1, n), np.hanning(9), mode="same")
    syllables = np.clip(np.sin(2 * np.pi * 2.5 * np.arange(n) / RATE + rng.uniform(0, 6)), 0, None)
    return (0.1 * noise / noise.std() * syllables).astype(np.float32)


def level_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-12))


def test_what_was_played_comes_back_for_when_it_is_heard():
    reference = EchoReference()
    rate = 22050
    played = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate * 2) / rate)).astype(np.float32)
    jitter = np.random.default_rng(0).normal(0, 0.003, 40)  # later callbacks' stamps wobble by a few ms:
    jitter[0] = 0.0  # the samples follow on from the first, as played
    for i, start in enumerate(range(0, len(played), 2205)):  # 100 ms callbacks
        reference.record(played[start:start + 2205], rate, 50.0 + start / rate + jitter[i])
    heard = reference.heard(round(50.5 * RATE), RATE)  # one second, from 0.5 s in
    expected = 0.5 * np.sin(2 * np.pi * 440 * (0.5 + np.arange(RATE) / RATE))
    assert level_db(heard - expected) - level_db(expected) < -40  # on time, to a fraction of a sample
    assert not reference.heard(round(49.0 * RATE), RATE).any()  # before anything played: silence
    reference.cut(51.0)  # stopped at once: what the device still held is never heard
    assert not reference.heard(round(51.0 * RATE), RATE // 2).any()
    assert reference.heard(round(50.9 * RATE), RATE // 20).any()


def test_only_the_last_seconds_are_kept():
    reference = EchoReference()
    for second in range(12):
        reference.record(babble(1.0, second), RATE, 10.0 + second)
    assert not reference.heard(10 * RATE, RATE).any()  # 12 s ago: gone
    assert reference.heard(21 * RATE, RATE).any()


def cancel(canceller: EchoCanceller, near: np.ndarray, arrivals: np.ndarray) -> np.ndarray:
    return np.concatenate([canceller.process(near[i * 320:(i + 1) * 320], at) for i, at in enumerate(arrivals)])


def test_an_echo_is_taken_out_and_the_person_kept():
    far, person = babble(7.0, 1), babble(1.5, 2)
    far[4 * RATE:] = 0.0  # Hearth stops after 4 s
    reference = EchoReference()
    reference.record(far, RATE, 100.0)
    near = np.zeros_like(far)
    near[80:] = 0.7 * far[:-80]  # heard 5 ms after it is played, softer
    over, alone = slice(int(2.5 * RATE), int(2.5 * RATE) + len(person)), slice(5 * RATE, 5 * RATE + len(person))
    near[over] += person  # the person talks over Hearth, then alone
    near[alone] += person
    blocks = len(near) // 320
    late = np.abs(np.random.default_rng(3).normal(0, 0.008, blocks))  # callbacks come late, by up to ~25 ms
    canceller = EchoCanceller(reference)
    assert canceller.active
    out = cancel(canceller, near, 100.0 + np.arange(blocks) * 0.02 + 0.02 + late)
    echo_only = slice(RATE, int(2.5 * RATE))  # after a second of learning
    assert level_db(out[echo_only]) - level_db(near[echo_only]) < -25
    assert level_db(out[over]) - level_db(person) > -10  # softened while Hearth talks, not taken for it
    assert level_db(out[alone]) - level_db(person) > -1.5


def test_without_livekit_the_sound_passes_through_and_one_line_says_so(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "livekit", None)  # import livekit raises ImportError
    with caplog.at_level(logging.WARNING, logger="desktop.services.speech.echo_canceller"):
        canceller = EchoCanceller(EchoReference())
    block = babble(0.02, 4)
    assert not canceller.active
    assert canceller.process(block, 1.0) is block
    assert len(caplog.records) == 1 and "Echo cancellation is off" in caplog.records[0].getMessage()


@pytest.mark.parametrize("size", [100, 330])
def test_a_block_that_is_not_whole_10_ms_frames_passes_through(size):
    block = babble(size / RATE, 5)
    assert EchoCanceller(EchoReference()).process(block, 1.0) is block
