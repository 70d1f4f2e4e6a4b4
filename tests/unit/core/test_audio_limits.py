"""Audio input is bounded: size, duration, rate and channels are judged from the file
and its header before any frame is read, and the resampler never allocates more than
a capped duration needs (a 1 Hz header once asked it for 119 GiB)."""

from __future__ import annotations

import io
import os
import struct
import wave

import numpy as np
import pytest

from desktop.core import audio
from desktop.core.audio import MAX_AUDIO_BYTES, MAX_AUDIO_S, WHISPER_RATE, read_wav, read_wav_bytes, resample
from desktop.core.errors import AudioError


def wav_header(*, rate: int, channels: int = 1, width: int = 2, frames: int = 0) -> bytes:
    """A canonical 44-byte PCM WAV header declaring `frames` frames (none follow)."""
    data = frames * channels * width
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * width, channels * width, width * 8)
            + b"data" + struct.pack("<I", data))


def test_a_one_hertz_header_is_refused_before_any_allocation():
    # what /v1/audio/transcriptions passes on: 2 MB of frames at "1 Hz" (11 days of audio)
    data = wav_header(rate=1, frames=1_000_000) + bytes(2_000_000)
    with pytest.raises(AudioError, match="sample rate of 1 Hz; Hearth reads 8,000 to 384,000 Hz"):
        read_wav_bytes(data, name="upload.wav")


@pytest.mark.parametrize(("header", "says"), [
    (wav_header(rate=7_999, frames=100), "sample rate of 7,999 Hz"),
    (wav_header(rate=384_001, frames=100), "sample rate of 384,001 Hz"),
    (wav_header(rate=16_000, channels=9, frames=100), "claims 9 channels; Hearth reads 1 to 8"),
    (wav_header(rate=16_000, width=5, frames=100), "40-bit samples"),
])
def test_implausible_headers_are_one_sentence(header, says):
    with pytest.raises(AudioError, match=says) as caught:
        read_wav_bytes(header + bytes(1000), name="odd.wav")
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)


def test_more_than_thirty_minutes_is_refused_from_the_header(monkeypatch):
    never = pytest.fail
    monkeypatch.setattr(wave.Wave_read, "readframes", lambda self, n: never("frames were read"))
    minutes = MAX_AUDIO_S // 60 + 1
    data = wav_header(rate=8_000, width=1, frames=minutes * 60 * 8_000) + bytes(minutes * 60 * 8_000)
    with pytest.raises(AudioError, match=rf"meeting\.wav lasts {minutes}:00, longer than the 30 minutes Hearth transcribes at a time\."):
        read_wav_bytes(data, name="meeting.wav")


def test_a_header_that_overstates_its_frames_reads_only_what_is_there():
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(bytes(2 * 16_000))
    data = bytearray(buffer.getvalue())
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)  # as streaming writers leave it: "unknown length"
    assert len(read_wav_bytes(bytes(data))) == 16_000


def test_a_file_over_the_size_cap_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.wav"
    with path.open("wb") as handle:
        handle.write(wav_header(rate=16_000, frames=(MAX_AUDIO_BYTES // 2)))
        handle.truncate(MAX_AUDIO_BYTES + 1)  # sparse: no disk is used
    monkeypatch.setattr(audio, "read_wav_bytes", lambda *a, **k: pytest.fail("the file was read"))
    with pytest.raises(AudioError, match=r"huge\.wav is too large \(200\.0 MB\); Hearth reads WAV files up to 200 MB\."):
        read_wav(path)


@pytest.mark.parametrize("make", [os.mkfifo, None])
def test_read_wav_opens_only_regular_files(tmp_path, make):
    path = tmp_path / "pipe.wav" if make else "/dev/zero"
    if make:
        make(path)
    with pytest.raises(AudioError, match=r"is a (named pipe \(FIFO\)|device), not a WAV file\."):
        read_wav(path)


def test_resample_refuses_rates_and_lengths_beyond_the_caps():
    with pytest.raises(AudioError, match="1 Hz cannot be converted"):
        resample(np.zeros(1000, dtype=np.float32), 1)
    too_long = np.zeros((MAX_AUDIO_S + 1) * 8_000, dtype=np.float32)
    with pytest.raises(AudioError, match=r"The audio lasts 30:01, longer than the 30 minutes"):
        resample(too_long, 8_000)


def test_long_audio_is_resampled_in_blocks_like_one_whole_fft():
    rng = np.random.default_rng(0)
    rate = 44_100
    samples = (rng.standard_normal(rate * 70) * 0.2).astype(np.float32)  # more than two blocks
    blocks = resample(samples, rate)
    whole = audio._fft_resample(samples, round(len(samples) * WHISPER_RATE / rate))
    assert len(blocks) == len(whole)
    inner = slice(WHISPER_RATE, -WHISPER_RATE)  # both differ only in how they treat the two ends
    assert np.max(np.abs(blocks[inner] - whole[inner])) < 2e-3
