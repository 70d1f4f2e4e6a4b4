"""Audio helpers: read a WAV file into the 16 kHz mono float32 Whisper expects.

Pure numpy and the standard library's `wave`, so the same code serves `hearth ask
--audio`, uploads to the API and recordings from the microphone (which arrive as
arrays already). Every input is bounded before it is read: only regular files, at most
`MAX_AUDIO_BYTES`, `MAX_AUDIO_S` of audio judged from the header, and a plausible rate
and channel count, so a hostile file cannot make Hearth read forever or allocate
gigabytes (a header claiming 1 Hz once asked the resampler for 119 GiB).
"""

from __future__ import annotations

import io
import math
import os
import wave
from pathlib import Path

import numpy as np

from desktop.core.errors import AudioError
from desktop.core.safe_files import open_regular, printable
from desktop.core.units import human_size

__all__ = [
    "MAX_AUDIO_BYTES", "MAX_AUDIO_S", "MAX_CHANNELS", "RATE_RANGE", "WHISPER_RATE",
    "duration_s", "read_wav", "read_wav_bytes", "resample", "rms_level", "to_mono",
]

WHISPER_RATE = 16_000
MAX_AUDIO_BYTES = 200 * 1024 * 1024  # 30 min of 48 kHz 16-bit mono is 165 MiB
MAX_AUDIO_S = 30 * 60  # longer questions are recordings to split, not questions
RATE_RANGE = (8_000, 384_000)  # telephone to the fastest studio rate
MAX_CHANNELS = 8  # 7.1 surround
_MIN_SAMPLES = WHISPER_RATE // 10  # 0.1 s: shorter than any spoken word
_BLOCK_S, _MARGIN_S = 30, 1  # resample 30 s at a time, with 1 s on each side against edge ringing


def read_wav(path: str | Path) -> np.ndarray:
    """Samples of a PCM WAV file as mono float32 in [-1, 1] at 16 kHz."""
    file = Path(path)
    with open_regular(file, AudioError, what="a WAV file") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_AUDIO_BYTES:
            raise AudioError(_too_big(printable(file.name), size))
        data = handle.read(MAX_AUDIO_BYTES + 1)  # a file that grows meanwhile is still bounded
    return read_wav_bytes(data, name=file.name)


def read_wav_bytes(data: bytes, *, name: str = "audio") -> np.ndarray:
    """Like `read_wav`, for a WAV file's bytes (an upload, say); `name` is for messages."""
    name = printable(name)
    if not data:
        raise AudioError(f"{name} is empty (0 bytes), not a WAV file.")
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioError(_too_big(name, len(data)))
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            _check_format(name, channels, width, rate)
            frames = min(wav.getnframes(), len(data) // (channels * width))  # the header may overstate
            if frames / rate > MAX_AUDIO_S:
                raise AudioError(_too_long(name, frames / rate))
            pcm = wav.readframes(frames)
    except (wave.Error, EOFError) as error:
        raise AudioError(f"{name} is not a PCM WAV file Hearth can read ({error}).") from error
    samples = _pcm_to_float(pcm, width, name)
    usable = len(samples) - len(samples) % channels
    samples = to_mono(samples[:usable].reshape(-1, channels))
    if len(samples) == 0:
        raise AudioError(f"{name} holds no audio (0 samples).")
    mono = resample(samples, rate, WHISPER_RATE)
    if len(mono) < _MIN_SAMPLES:
        raise AudioError(f"{name} is too short to hold speech ({duration_s(mono):.2f} s).")
    return mono


def _too_big(name: str, size: int) -> str:
    return f"{name} is too large ({human_size(size)}); Hearth reads WAV files up to {MAX_AUDIO_BYTES >> 20} MB."


def _too_long(name: str, seconds: float) -> str:
    whole = math.ceil(seconds)
    return (f"{name} lasts {whole // 60}:{whole % 60:02d}, longer than the {MAX_AUDIO_S // 60} minutes "
            "Hearth transcribes at a time.")


def _check_format(name: str, channels: int, width: int, rate: int) -> None:
    """Refuse a header no recording has, before any frame is read or allocated."""
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise AudioError(f"{name} claims a sample rate of {rate:,} Hz; Hearth reads "
                         f"{RATE_RANGE[0]:,} to {RATE_RANGE[1]:,} Hz.")
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(f"{name} claims {channels} channels; Hearth reads 1 to {MAX_CHANNELS}.")
    if width not in (1, 2, 3, 4):
        raise AudioError(f"{name} uses {width * 8}-bit samples; Hearth reads 8, 16, 24 and 32-bit PCM.")


def _pcm_to_float(frames: bytes, width: int, name: str) -> np.ndarray:
    if width == 1:
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if width == 3:
        raw = np.frombuffer(frames[: len(frames) - len(frames) % 3], dtype=np.uint8).reshape(-1, 3)
        ints = (raw[:, 0].astype(np.int32) | (raw[:, 1].astype(np.int32) << 8)
                | (raw[:, 2].astype(np.int32) << 16))
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        return ints.astype(np.float32) / float(1 << 23)
    if width == 4:
        return (np.frombuffer(frames, dtype="<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    raise AudioError(f"{name} uses {width * 8}-bit samples; Hearth reads 8, 16, 24 and 32-bit PCM.")


def to_mono(frames: np.ndarray) -> np.ndarray:
    """(n, channels) or (n,) samples to (n,) float32 by averaging the channels."""
    if frames.ndim == 1:
        return frames.astype(np.float32, copy=False)
    return frames.mean(axis=1, dtype=np.float32)


def resample(samples: np.ndarray, rate: int, target: int = WHISPER_RATE) -> np.ndarray:
    """Band-limited resampling (FFT), so 48 kHz speech does not alias into 16 kHz.

    Bounded: the rate must be in `RATE_RANGE`, the output at most `MAX_AUDIO_S` long,
    and long inputs go through the FFT in `_BLOCK_S` blocks, so memory stays small."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise AudioError(f"A sample rate of {rate:,} Hz cannot be converted; Hearth reads "
                         f"{RATE_RANGE[0]:,} to {RATE_RANGE[1]:,} Hz.")
    n_out = max(1, round(len(samples) * target / rate))
    if n_out > MAX_AUDIO_S * target:
        raise AudioError(_too_long("The audio", len(samples) / rate))
    common = math.gcd(rate, target)
    step_in, step_out = rate // common, target // common  # block edges on whole output samples
    block = max(1, _BLOCK_S * rate // step_in) * step_in
    margin = max(1, _MARGIN_S * rate // step_in) * step_in
    if len(samples) <= block + 2 * margin:
        return _fft_resample(samples, n_out)
    out = np.empty(n_out, dtype=np.float32)
    for start in range(0, len(samples), block):
        low, high = max(0, start - margin), min(len(samples), start + block + margin)
        piece = _fft_resample(samples[low:high], round((high - low) * target / rate))
        skip, first = (start - low) // step_in * step_out, start // step_in * step_out
        kept = piece[skip: skip + block // step_in * step_out][: n_out - first]
        out[first: first + len(kept)] = kept
    return out


def _fft_resample(samples: np.ndarray, n_out: int) -> np.ndarray:
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = min(len(spectrum), n_out // 2 + 1)
    return (np.fft.irfft(spectrum[:keep], n=n_out) * (n_out / len(samples))).astype(np.float32)


def duration_s(samples: np.ndarray, rate: int = WHISPER_RATE) -> float:
    return len(samples) / float(rate)


def rms_level(samples: np.ndarray) -> float:
    """Root-mean-square level in [0, 1], for level meters and silence checks."""
    if len(samples) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
