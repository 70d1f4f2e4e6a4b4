"""Resampling sound that arrives in pieces (a PortAudio callback's), so that pieces join
without clicks and each costs a few dozen multiplications per sample.

`audio.resample` reads a whole clip through the FFT; a stream has no whole. This is a
Kaiser-windowed sinc low-pass with one filter per phase of the fixed ratio (polyphase;
22050 -> 16000 Hz is 320/441), keeping the last few input samples between calls. Odd
ratios round the phase to 1/1024 of a sample, which keeps the table small.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from desktop.core.audio import RATE_RANGE
from desktop.core.errors import AudioError

__all__ = ["StreamResampler"]

_HALF_TAPS = 16  # taps on each side, at the lower of the two rates
_CUTOFF = 0.9  # of the lower Nyquist frequency: the half-amplitude point, so little folds back
_BETA = 8.0  # the Kaiser window's: about 80 dB of stop-band attenuation
_MAX_PHASES = 1024


class StreamResampler:
    """`resampler(piece)` gives the output samples this piece completes; the first output
    sample is the first input sample's moment, and output n is input n * rate / target."""

    def __init__(self, rate: int, target: int) -> None:
        for value in (rate, target):
            if not RATE_RANGE[0] <= value <= RATE_RANGE[1]:
                raise AudioError(f"A sample rate of {value:,} Hz cannot be converted; Hearth reads "
                                 f"{RATE_RANGE[0]:,} to {RATE_RANGE[1]:,} Hz.")
        common = math.gcd(rate, target)
        self.rate, self.target = rate, target
        self._up, self._down = target // common, rate // common
        self._kernel, self._offsets = _kernel(self._up, self._down)
        width = -int(self._offsets[0]) + 1
        self._history = np.zeros(width, dtype=np.float32)  # silence before the first sample
        self._first = -width  # the input index of _history[0]
        self._made = 0  # output samples so far

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32)
        if self._up == self._down:
            return samples.copy()
        x = np.concatenate([self._history, samples])
        end = self._first + len(x)  # the input index just past the last sample
        # output n needs inputs up to n * down // up + offsets[-1]
        ready = -(-((end - int(self._offsets[-1])) * self._up) // self._down)
        n = np.arange(self._made, max(self._made, ready), dtype=np.int64)
        position = n * self._down
        base, phase = position // self._up, position % self._up
        taps = x[(base - self._first)[:, None] + self._offsets[None, :]]
        out = np.einsum("ij,ij->i", taps, self._kernel[phase * len(self._kernel) // self._up])
        self._made += len(n)
        keep = (self._made * self._down) // self._up + int(self._offsets[0]) - self._first
        self._history = x[keep:]
        self._first += keep
        return out.astype(np.float32, copy=False)


@functools.lru_cache(maxsize=8)
def _kernel(up: int, down: int) -> tuple[np.ndarray, np.ndarray]:
    """One row of taps per phase, each summing to 1, and the input offsets they apply to
    (made once per ratio: a new stream's first callback should not compute it)."""
    scale = min(1.0, up / down)  # the lower Nyquist frequency, as a fraction of the input's
    cutoff = 0.5 * scale * _CUTOFF  # in cycles per input sample
    width = math.ceil(_HALF_TAPS / scale)
    offsets = np.arange(-width + 1, width + 1)
    phases = min(up, _MAX_PHASES)
    distance = offsets[None, :] - (np.arange(phases) / phases)[:, None]  # in input samples
    window = np.i0(_BETA * np.sqrt(np.clip(1.0 - (distance / width) ** 2, 0.0, None))) / np.i0(_BETA)
    taps = 2 * cutoff * np.sinc(2 * cutoff * distance) * window
    return (taps / taps.sum(axis=1, keepdims=True)).astype(np.float32), offsets
