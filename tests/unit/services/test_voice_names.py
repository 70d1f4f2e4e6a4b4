"""Voices are listed by a person's name read from their Piper config ("Joe (English,
United States)"), not by file name: the real voice package's, voices whose configs are
damaged or hostile (still named: plain one-line text, bounded, no markup), and an order
that is the same every time."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from desktop.services.speech.voice import VoiceFile, find_voices, voice_label

JOE = "Joe (English, United States)"
HOSTILE = "<b>Eve</b>\u202e\x07\n<img src=x>" * 40


def voice(folder: Path, stem: str, config: object) -> Path:
    """A voice file (its model is not read for the list) and its config beside it."""
    folder.mkdir(exist_ok=True)
    model = folder / f"{stem}.onnx"
    model.write_bytes(b"")
    text = config if isinstance(config, str) else json.dumps(config)
    model.with_name(model.name + ".json").write_text(text, encoding="utf-8")
    return model


def piper(dataset: object, name: object = "English", country: object = "United States", quality: str = "medium"):
    return {"dataset": dataset, "audio": {"quality": quality, "sample_rate": 22050},
            "language": {"code": "en_US", "name_english": name, "country_english": country}}


def plain(label: str, limit: int = 64) -> bool:
    return (0 < len(label) <= limit and not set(label) & set("<>")
            and not any(unicodedata.category(c).startswith("C") for c in label))


def test_the_installed_voice_package_is_named_from_its_config():
    joe = next(v for v in find_voices() if v.name == "en_US-joe-medium")
    assert (joe.label, joe.quality, joe.model.name) == (JOE, "medium", "en_US-joe-medium.onnx")
    config = json.loads(joe.model.with_name(joe.model.name + ".json").read_text(encoding="utf-8"))
    assert voice_label(config, joe.name) == JOE  # the real file's fields, not a guess from its name


@pytest.mark.parametrize(("stem", "config", "expected"), [
    ("en_GB-alan-low", "{not json", "Alan (en_GB)"),  # unreadable: the Piper file name says enough
    ("en_GB-alan-low", [1, 2, 3], "Alan (en_GB)"),  # JSON, but not a config
    ("de_DE-thorsten-high", {"dataset": 7, "language": "German"}, "Thorsten (de_DE)"),  # wrong types
    ("de_DE-thorsten-high", {"dataset": "thorsten", "language": {"name_english": "German"}}, "Thorsten (German)"),
    ("my voice", {}, "my voice"),  # not a Piper name: the file name itself
    ("en_US-hfc_female-medium", piper("hfc_female"), "Hfc Female (English, United States)"),
    ("x", piper("Amy", name=None, country=["US"]), "Amy (en_US)"),
])
def test_a_damaged_config_still_gives_a_sensible_name(tmp_path, stem, config, expected):
    voice(tmp_path / "voices", stem, config)
    (found,) = [v for v in find_voices(tmp_path / "voices") if v.model.parent == tmp_path / "voices"]
    assert found.label == expected and found.name == stem


def test_hostile_fields_become_bounded_plain_text(tmp_path):
    voices = tmp_path / "voices"
    voice(voices, "en_US-a-medium", piper(HOSTILE))
    voice(voices, "en_US-b-medium", piper("bob", name=HOSTILE, country=HOSTILE))
    voice(voices, "<i>c\u202e", {"dataset": ""})  # nothing in the config, a hostile file name
    voice(voices, "en_US-d-medium", {"dataset": "dora", "padding": "x" * 1_100_000})  # too big to read for a name
    labels = {v.name: v.label for v in find_voices(voices) if v.model.parent == voices}
    assert all(plain(label) for label in labels.values()), labels
    assert labels["en_US-a-medium"].startswith("Eve Eve Eve") and labels["en_US-b-medium"].startswith("Bob (Eve Eve")
    assert labels["<i>c\u202e"] == "c" and labels["en_US-d-medium"] == "D (en_US)"


def test_the_order_is_by_name_the_same_every_time_and_alike_names_are_told_apart(tmp_path):
    voices = tmp_path / "voices"
    voice(voices, "en_US-zed-medium", piper("zed"))
    voice(voices, "en_US-amy-low", piper("amy", quality="low"))
    voice(voices, "en_US-amy-medium", piper("amy"))
    voice(voices, "amy-copy", piper("amy"))  # the same speaker and quality under another name
    copy = voice(voices, "en_US-joe-medium", piper("joe"))  # the package's voice again: listed once
    found = find_voices(voices)
    assert [v.label for v in found] == [
        "Amy (English, United States), low quality",
        "Amy (English, United States), medium quality · amy-copy",
        "Amy (English, United States), medium quality · en_US-amy-medium",
        JOE,
        "Zed (English, United States)",
    ]
    assert [v.name for v in found].count("en_US-joe-medium") == 1 and copy not in [v.model for v in found]
    assert find_voices(voices) == found
    assert all(plain(v.label, 128) for v in found)


def test_a_voice_made_by_hand_is_named_by_its_file():
    assert VoiceFile("en_US-joe-medium", Path("en_US-joe-medium.onnx")).label == "en_US-joe-medium"
