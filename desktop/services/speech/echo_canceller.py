"""Acoustic echo cancellation: Hearth's own voice, heard by the microphone from the
loudspeakers, taken out of what the microphone hears, so that the person can talk over
Hearth (barge-in) without headphones or a raised voice.

WebRTC's audio processing module (as the `livekit` package ships it) does the work; it
needs, beside each 10 ms of the microphone, the 10 ms of what was played that could be
in it. Its own delay search covers about 0 to 400 ms, and the speaker queues half a
second ahead, so the two sides meet on one clock, `time.monotonic()`: the speaker stamps
each block with when it will be heard (PortAudio's DAC time, `EchoReference.record`),
the microphone each block with when it arrived (`EchoCanceller.process`). PortAudio's
capture times were not used: through PulseAudio they were up to 0.7 s off for the first
second or so, while arrival times, filtered, were within 20 ms.

Without livekit, or if it fails, `EchoCanceller` passes the sound through and logs one
line: voice mode then works as without it (speech must be louder than Hearth's echo).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

import numpy as np

from desktop.core.audio import WHISPER_RATE
from desktop.core.errors import AudioError
from desktop.core.stream_resampler import StreamResampler

__all__ = ["EchoCanceller", "EchoReference", "heard_at"]

log = logging.getLogger(__name__)
_KEEP_S = 10.0  # what was played is kept this long: the microphone's worker may lag behind
_JUMP_S = 0.05  # a block further than this from where the last one ended starts a new run
_FRAME = WHISPER_RATE // 100  # the module's 10 ms frame
_MOST_AHEAD_S = 2.0  # a reported delay beyond this is not believed
# The module finds an echo from a few ms to about 400 ms after what was played, never
# before it: it is given what is played this much ahead of the microphone's block (an
# echo heard 40 ms before its stamp is still found; the speaker has written that far).
_LEAD_S = 0.04
_ARRIVALS = 250  # the microphone's clock is read from its last 5 s of blocks
# Its timeline moves only when that reading is this far off (lost samples, drift): each
# move costs the module a second of learning the echo anew, and it does not mind a
# steady 20 ms more or less.
_SHIFT_S = 0.02


def heard_at(time_info: Any, latency_s: float) -> float:
    """When the first sample of an output callback's block will be heard (monotonic clock):
    PortAudio's DAC time when it gives one, else the stream's latency from now."""
    ahead = _seconds(time_info, "outputBufferDacTime") - _seconds(time_info, "currentTime")
    return time.monotonic() + (ahead if 0 < ahead < _MOST_AHEAD_S else latency_s)


def _seconds(time_info: Any, name: str) -> float:
    value = getattr(time_info, name, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


class EchoReference:
    """What the loudspeaker plays, at 16 kHz, on the moments it will be heard; the last
    `_KEEP_S` seconds of it. The speaker's PortAudio thread writes, voice mode's worker reads."""

    def __init__(self) -> None:
        size = int(_KEEP_S * WHISPER_RATE)
        self._lock = threading.Lock()
        self._samples = np.zeros(size, dtype=np.float32)
        self._moments = np.full(size, -1, dtype=np.int64)  # which moment (1/16000 s) each slot holds
        self._resampler: StreamResampler | None = None
        self._start = 0  # the moment of the run's first output sample
        self._made = 0  # output samples in this run
        self._run_at = 0.0  # when the run's first input sample is heard
        self._taken = 0  # input samples in this run

    def record(self, samples: np.ndarray, rate: int, heard_at: float) -> None:
        """These samples (at `rate`) will be heard from `heard_at` on. A block that follows
        on from the last keeps the resampler's state (callback times jitter by a few ms)."""
        with self._lock:
            follows = self._run_at + self._taken / rate
            if self._resampler is None or self._resampler.rate != rate or abs(heard_at - follows) > _JUMP_S:
                try:
                    self._resampler = StreamResampler(rate, WHISPER_RATE)
                except AudioError:
                    self._resampler = None  # a rate no voice has: nothing to cancel with
                    return
                self._start, self._made = round(heard_at * WHISPER_RATE), 0
                self._run_at, self._taken = heard_at, 0
            out = self._resampler(samples)
            self._taken += len(samples)
            moments = self._start + self._made + np.arange(len(out), dtype=np.int64)
            self._made += len(out)
            slots = moments % len(self._samples)
            self._samples[slots] = out
            self._moments[slots] = moments

    def cut(self, at: float) -> None:
        """Nothing recorded will be heard from `at` on (the stream was stopped at once):
        else the canceller would take the person, speaking up then, for Hearth's echo."""
        moments = round(at * WHISPER_RATE) + np.arange(int(_MOST_AHEAD_S * WHISPER_RATE), dtype=np.int64)
        slots = moments % len(self._samples)
        with self._lock:
            self._moments[slots] = np.where(self._moments[slots] == moments, -1, self._moments[slots])
            self._resampler = None  # the next block starts a new run

    def heard(self, moment: int, count: int) -> np.ndarray:
        """`count` samples from `moment` (in 1/16000 s of the monotonic clock): silence
        where nothing was played."""
        moments = moment + np.arange(count, dtype=np.int64)
        slots = moments % len(self._samples)
        with self._lock:
            return np.where(self._moments[slots] == moments, self._samples[slots], 0.0).astype(np.float32)


class EchoCanceller:
    """One microphone's echo canceller (used by one thread: voice mode's worker)."""

    def __init__(self, reference: EchoReference) -> None:
        self._reference = reference
        self._count = 0  # samples heard so far: they follow on, whatever the stamps say
        self._anchors: collections.deque[float] = collections.deque(maxlen=_ARRIVALS)
        self._anchor = 0.0  # when the first sample was heard (monotonic clock)
        self._apm: Any = None
        try:
            from livekit import rtc

            self._rtc = rtc
            self._apm = rtc.AudioProcessingModule(echo_cancellation=True, noise_suppression=False,
                                                  high_pass_filter=True)
        except Exception as error:  # ImportError, a library that cannot load here
            log.warning("Echo cancellation is off (%s): with loudspeakers, speak up while Hearth talks.", error)

    @property
    def active(self) -> bool:
        return self._apm is not None

    def process(self, block: np.ndarray, arrived_at: float) -> np.ndarray:
        """The microphone's next 16 kHz block (a whole number of 10 ms frames), less what
        it heard of the loudspeaker; `arrived_at`: when the callback got it, less its length."""
        # A callback comes late, never early: the earliest arrival of the last seconds,
        # less the samples before it, is when the first sample was heard (and follows drift).
        self._anchors.append(arrived_at - self._count / WHISPER_RATE)
        earliest = min(self._anchors)
        if len(self._anchors) == 1 or abs(earliest - self._anchor) > _SHIFT_S:
            self._anchor = earliest
        moment = round(self._anchor * WHISPER_RATE) + self._count
        self._count += len(block)
        if self._apm is None or len(block) % _FRAME:
            return block
        played = self._reference.heard(moment + round(_LEAD_S * WHISPER_RATE), len(block))
        try:
            return self._cancel(block, played)
        except Exception as error:  # the module failed: carry on without it
            log.warning("Echo cancellation stopped (%s): with loudspeakers, speak up while Hearth talks.", error)
            self._apm = None
            return block

    def _cancel(self, block: np.ndarray, played: np.ndarray) -> np.ndarray:
        """Per 10 ms: what was played first (the reverse stream), then the microphone's
        frame, which the module cleans in place."""
        near, far = _int16(block), _int16(played)
        out = np.empty(len(block), dtype=np.float32)
        for start in range(0, len(block), _FRAME):
            frame = slice(start, start + _FRAME)
            self._apm.process_reverse_stream(self._rtc.AudioFrame(far[frame].tobytes(), WHISPER_RATE, 1, _FRAME))
            heard = self._rtc.AudioFrame(near[frame].tobytes(), WHISPER_RATE, 1, _FRAME)
            self._apm.process_stream(heard)
            out[frame] = np.frombuffer(heard.data, dtype=np.int16) / 32768.0
        return out


def _int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)
