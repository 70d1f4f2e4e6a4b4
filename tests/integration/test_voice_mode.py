"""Hands-free voice mode with real sound: espeak-ng speaks into the virtual microphone
(a PulseAudio null sink's monitor); voice mode hears where the speaker stops and gives
the words, then listens on for the next; noise and silence give nothing; and while
Hearth talks, the person starting to speak is reported at once (barge-in)."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from desktop.core.audio import read_wav
from desktop.core.word_errors import word_error_rate
from desktop.services.speech.voice_mode import VoiceMode


@pytest.fixture
def voice_mode(qtbot, transcriber, virtual_microphone):
    mode = VoiceMode(lambda: transcriber, device="pulse")
    yield mode
    mode.stop()


def noise_wav(path, seconds: float = 2.0):
    samples = (np.random.default_rng(0).normal(0, 0.02, int(16000 * seconds)) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.tobytes())
    return path


def test_each_utterance_is_heard_when_the_speaker_stops_and_noise_gives_nothing(
        qtbot, voice_mode, virtual_microphone, speak, transcriber, tmp_path):
    heard: list[str] = []
    voice_mode.heard.connect(heard.append)
    with qtbot.waitSignal(voice_mode.listening, timeout=10_000):
        voice_mode.start()
    assert voice_mode.active
    virtual_microphone(noise_wav(tmp_path / "noise.wav"))  # a hiss: nothing to say
    qtbot.wait(1500)
    assert heard == []
    for number, sentence in enumerate(("What is the capital of France?", "Tell me about the weather in Rome.")):
        wav = speak(sentence, name=f"utterance{number}.wav")
        with qtbot.waitSignal(voice_mode.heard, timeout=30_000):
            virtual_microphone(wav)
        whole = transcriber.transcribe(read_wav(wav)).text  # the clip read whole, as a yardstick
        assert word_error_rate(whole, heard[-1]) <= 0.2, (whole, heard[-1])
    assert len(heard) == 2  # one each: it listens on after the first
    with qtbot.waitSignal(voice_mode.listening, timeout=10_000) as closed:
        voice_mode.stop()
    assert closed.args == [False] and not voice_mode.active  # leaving voice mode closes the microphone


def test_speaking_while_hearth_talks_is_reported_at_once(qtbot, voice_mode, virtual_microphone, speak):
    with qtbot.waitSignal(voice_mode.listening, timeout=10_000):
        voice_mode.start()
    voice_mode.set_hearth_speaking(True)
    with qtbot.waitSignal(voice_mode.speechStarted, timeout=10_000):
        virtual_microphone(speak("Stop, please.", name="stop.wav"))
