"""Real Whisper (tiny.en, CTranslate2) on real synthesised speech."""

from __future__ import annotations

import numpy as np
import pytest
from tests_helpers import word_error_rate

from desktop.core.audio import WHISPER_RATE, read_wav


@pytest.mark.parametrize(
    "sentence",
    ["Please turn on the kitchen lights and play some music.", "What is the weather like in London today?"],
)
def test_spoken_sentence_is_transcribed(transcriber, speak, sentence):
    transcript = transcriber.transcribe(read_wav(speak(sentence)))
    assert word_error_rate(sentence, transcript.text) <= 0.1, transcript.text
    assert transcript.language == "en"
    assert transcript.segments and transcript.audio_s > 1
    assert transcript.transcribe_s > 0


def test_silence_gives_no_text(transcriber):
    transcript = transcriber.transcribe(np.zeros(3 * WHISPER_RATE, dtype=np.float32))
    assert transcript.text == ""


def test_faint_noise_gives_no_text(transcriber):
    noise = np.random.default_rng(0).normal(0, 0.003, 3 * WHISPER_RATE).astype(np.float32)
    assert transcriber.transcribe(noise).text == ""


@pytest.fixture(scope="session")
def multilingual(starter):
    from desktop.services.model_store import ModelStore
    from desktop.services.starter_models import install_whisper_base
    from desktop.services.transcriber import Transcriber

    entry = install_whisper_base(ModelStore(starter.folder))
    model = Transcriber(starter.folder / entry.name)
    yield model
    model.close()


@pytest.mark.parametrize(
    ("voice", "sentence"),
    [("de", "Guten Morgen, wie geht es dir heute?"), ("es", "Buenos días, ¿cómo estás hoy?")],
)
def test_multilingual_model_detects_the_language(multilingual, tmp_path, voice, sentence):
    import subprocess

    wav = tmp_path / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), sentence], check=True)
    assert multilingual.multilingual
    transcript = multilingual.transcribe(read_wav(wav))
    assert transcript.language == voice
    assert transcript.text


def test_english_only_model_is_told_the_language(transcriber):
    assert not transcriber.multilingual
