"""The Voice setting lists voices by a person's name ("Joe (English, United States)"),
in the order find_voices gives, with the file only in the tooltip; a saved voice is
chosen and comes back by its file's stem, which is what settings.json keeps; a hostile
file name in a tooltip shows as written, never as markup."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from desktop.core.settings import Settings
from desktop.gui.settings_dialog import SettingsDialog
from desktop.gui.voice_choice import FILE_ROLE, NONE_INSTALLED
from desktop.services.speech.voice import find_voices

JOE = "Joe (English, United States)"


def make(qtbot, settings: Settings, voices) -> SettingsDialog:
    dialog = SettingsDialog(settings, microphones=[], voices=voices)
    qtbot.addWidget(dialog)
    return dialog


def items(dialog: SettingsDialog) -> list[tuple[str, str]]:
    return [(dialog.voice.itemText(i), dialog.voice.itemData(i)) for i in range(dialog.voice.count())]


def shown(tooltip: str) -> str:
    """What a tooltip reads as on screen (Qt shows `<qt>…` as rich text)."""
    document = QTextDocument()
    document.setHtml(tooltip)
    return document.toPlainText()


def add_voice(folder: Path, stem: str, dataset: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.onnx").write_bytes(b"")
    config = {"dataset": dataset, "language": {"name_english": "English", "country_english": "United Kingdom"}}
    (folder / f"{stem}.onnx.json").write_text(json.dumps(config), encoding="utf-8")


def test_the_installed_voice_is_listed_by_its_name_and_its_file_is_the_tooltip(qtbot):
    dialog = make(qtbot, Settings(), tuple(find_voices()))
    assert (JOE, "en_US-joe-medium") in items(dialog)
    assert dialog.voice.currentText() == JOE
    index = dialog.voice.currentIndex()
    assert shown(dialog.voice.itemData(index, Qt.ItemDataRole.ToolTipRole)) == "File: en_US-joe-medium.onnx"
    assert "File: en_US-joe-medium.onnx" in shown(dialog.voice.toolTip())
    assert "Piper voice" in shown(dialog.voice.toolTip())
    assert dialog.result_settings().voice == "en_US-joe-medium"  # the stem, as settings.json keeps it


def test_voices_come_in_find_voices_order_and_the_saved_one_is_chosen(qtbot, tmp_path):
    folder = tmp_path / "voices"
    add_voice(folder, "en_GB-zed-medium", "zed")
    add_voice(folder, "en_GB-alba-medium", "alba")
    add_voice(folder, "<i>odd", "<i>Ivy</i>")
    voices = find_voices(folder)
    dialog = make(qtbot, Settings(voice="en_GB-zed-medium"), tuple(voices))
    assert items(dialog) == [(v.label, v.name) for v in voices]
    assert [text for text, _ in items(dialog)] == sorted((text for text, _ in items(dialog)), key=str.casefold)
    assert dialog.voice.currentText() == "Zed (English, United Kingdom)"
    assert "File: en_GB-zed-medium.onnx" in shown(dialog.voice.toolTip())
    odd = dialog.voice.findData("<i>odd")
    assert dialog.voice.itemText(odd) == "Ivy (English, United Kingdom)"
    assert shown(dialog.voice.itemData(odd, Qt.ItemDataRole.ToolTipRole)) == "File: <i>odd.onnx"
    dialog.voice.setCurrentIndex(odd)
    assert dialog.voice.itemData(odd, FILE_ROLE) == "<i>odd.onnx" and "File: <i>odd.onnx" in shown(dialog.voice.toolTip())
    assert dialog.result_settings().voice == "<i>odd"


def test_bare_names_and_no_voices_still_work(qtbot):
    named = make(qtbot, Settings(voice="b"), ("a", "b"))
    assert items(named) == [("a", "a"), ("b", "b")] and named.result_settings().voice == "b"
    none = make(qtbot, Settings(voice="gone"), ())
    assert items(none) == [(NONE_INSTALLED, None)] and none.result_settings().voice == "gone"
