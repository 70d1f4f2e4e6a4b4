"""The Voice setting's list: each voice by a person's name ("Joe (English, United
States)"), its file named only in the tooltip, for the few who need to tell files apart.

The names come from the voices' configs (desktop.services.speech.voice.find_voices),
which are the person's own files and may say anything: the list shows them as plain
text, and the tooltips escape them, so a name can never be read as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypeAlias

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

__all__ = ["FILE_ROLE", "NONE_INSTALLED", "VOICE_TIP", "VoiceEntry", "Voices", "show_voices"]

NONE_INSTALLED = "(none installed)"
VOICE_TIP = "An offline Piper voice (from a voice package or the voices folder)."
FILE_ROLE = Qt.ItemDataRole.UserRole + 1  # the voice's file name (its name is the UserRole data)


class VoiceEntry(Protocol):
    """A voice as Settings lists it (desktop.services.speech.voice.VoiceFile is one)."""

    @property
    def name(self) -> str: ...  # what the settings keep

    @property
    def label(self) -> str: ...  # what a person reads

    @property
    def model(self) -> Path: ...  # its file


Voices: TypeAlias = Sequence[str | VoiceEntry]  # a bare name shows as itself


def show_voices(combo: QComboBox, voices: Voices, chosen: str | None, tip: str) -> None:
    """Fill `combo` with `voices`, `chosen` selected (else the first); an item's data is
    the name the settings keep; the tooltip is `tip` and the chosen voice's file."""
    combo.clear()
    for voice in voices:
        if isinstance(voice, str):
            combo.addItem(voice, voice)
            continue
        combo.addItem(voice.label, voice.name)
        combo.setItemData(combo.count() - 1, voice.model.name, FILE_ROLE)
        combo.setItemData(combo.count() - 1, _plain_tip(f"File: {voice.model.name}"), Qt.ItemDataRole.ToolTipRole)
    if not voices:
        combo.addItem(NONE_INSTALLED, None)
    combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen else 0)

    def describe() -> None:
        file = combo.currentData(FILE_ROLE)
        combo.setToolTip(_plain_tip(f"{tip}\nFile: {file}") if file else tip)

    combo.currentIndexChanged.connect(describe)
    describe()


def _plain_tip(text: str) -> str:
    """`text` as rich text that says exactly `text`: a file name such as "<b>x.onnx" is
    shown as written, never as markup (Qt guesses whether a tooltip is HTML)."""
    return f"<qt>{html.escape(text).replace(chr(10), '<br>')}</qt>" if text else ""
