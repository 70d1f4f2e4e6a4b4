"""Audio helpers: read a WAV file into the 16 kHz mono float32 Whisper expects.

Pure numpy and the standard library's `wave`, so the same code serves `hearth ask
--audio` and recordings from the microphone (which arrive as arrays already).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from desktop.core.errors import AudioError

__all__ = ["WHISPER_RATE", "duration_s", "read_wav", "read_wav_bytes", "resample", "rms_level", "to_mono"]

WHISPER_RATE = 16_000
_MIN_SAMPLES = WHISPER_RATE // 10  # 0.1 s: shorter than any spoken word


def read_wav(path: str | Path) -> np.ndarray:
    """Samples of a PCM WAV file as mono float32 in [-1, 1] at 16 kHz."""
    file = Path(path)
    if not file.exists():
        raise AudioError(f"Audio file not found: {file}")
    if file.is_dir():
        raise AudioError(f"{file.name} is a folder, not a WAV file.")
    return read_wav_bytes(file.read_bytes(), name=file.name)


def read_wav_bytes(data: bytes, *, name: str = "audio") -> np.ndarray:
    """Like `read_wav`, for a WAV file's bytes (an upload, say); `name` is for messages."""
    if not data:
        raise AudioError(f"{name} is empty (0 bytes), not a WAV file.")
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as error:
        raise AudioError(f"{name} is not a PCM WAV file Hearth can read ({error}).") from error
    if rate <= 0 or channels <= 0:
        raise AudioError(f"{name} has an invalid header ({channels} channels at {rate} Hz).")
    samples = _pcm_to_float(frames, width, name)
    usable = len(samples) - len(samples) % channels
    samples = to_mono(samples[:usable].reshape(-1, channels))
    if len(samples) == 0:
        raise AudioError(f"{name} holds no audio (0 samples).")
    mono = resample(samples, rate, WHISPER_RATE)
    if len(mono) < _MIN_SAMPLES:
        raise AudioError(f"{name} is too short to hold speech ({duration_s(mono):.2f} s).")
    return mono


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
    """Band-limited resampling (FFT), so 48 kHz speech does not alias into 16 kHz."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    n_out = max(1, round(len(samples) * target / rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = min(len(spectrum), n_out // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], n=n_out) * (n_out / len(samples))
    return out.astype(np.float32)


def duration_s(samples: np.ndarray, rate: int = WHISPER_RATE) -> float:
    return len(samples) / float(rate)


def rms_level(samples: np.ndarray) -> float:
    """Root-mean-square level in [0, 1], for level meters and silence checks."""
    if len(samples) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
