from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from desktop.core.audio import WHISPER_RATE, read_wav, resample, rms_level
from desktop.core.errors import AudioError


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2) -> Path:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        if width == 2:
            wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        elif width == 3:
            ints = (np.clip(samples, -1, 1) * (2**23 - 1)).astype("<i4").reshape(-1)
            wav.writeframes(b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints))
    return path


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_any_rate_becomes_16k_with_pitch_kept(tmp_path, rate):
    path = write_wav(tmp_path / "tone.wav", tone(440, 1.0, rate), rate)
    samples = read_wav(path)
    assert samples.dtype == np.float32
    assert abs(len(samples) - WHISPER_RATE) <= 1
    assert abs(dominant_frequency(samples, WHISPER_RATE) - 440) < 3


def test_stereo_48k_is_mixed_to_mono(tmp_path):
    left = tone(300, 0.5, 48000)
    stereo = np.stack([left, left], axis=1)
    samples = read_wav(write_wav(tmp_path / "stereo.wav", stereo, 48000))
    assert samples.ndim == 1 and abs(len(samples) - 8000) <= 1
    assert rms_level(samples) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_high_frequencies_do_not_alias(tmp_path):
    # 12 kHz is above the 8 kHz Nyquist limit of 16 kHz audio: it must vanish, not fold.
    samples = read_wav(write_wav(tmp_path / "high.wav", tone(12000, 1.0, 48000), 48000))
    assert rms_level(samples) < 0.01


def test_24_bit_pcm(tmp_path):
    samples = read_wav(write_wav(tmp_path / "deep.wav", tone(1000, 0.5, 16000), 16000, width=3))
    assert rms_level(samples) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_zero_length_wav(tmp_path):
    path = write_wav(tmp_path / "empty.wav", np.zeros(0), 16000)
    with pytest.raises(AudioError, match="no audio"):
        read_wav(path)


def test_too_short_wav(tmp_path):
    path = write_wav(tmp_path / "blip.wav", tone(440, 0.02, 16000), 16000)
    with pytest.raises(AudioError, match="too short"):
        read_wav(path)


@pytest.mark.parametrize(("content", "message"), [(b"", "empty"), (b"RIFF....WAVEjunk", "not a PCM WAV")])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message):
        read_wav(path)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        read_wav(tmp_path / "nope.wav")


def test_resample_identity_returns_float32():
    data = np.ones(10, dtype=np.float64)
    assert resample(data, 16000).dtype == np.float32
