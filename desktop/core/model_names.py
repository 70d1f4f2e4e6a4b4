"""Names people read for model files, and the choices the window's model picker offers.

A name comes from the catalog when the file is a catalog file, else from the file name
made readable. Never from the GGUF's `general.name`: converters copy it from wherever
the weights came from, so it can say "AWQ" on a Q4_K_M file, or name another model.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from desktop.core.catalog import Catalog

__all__ = ["ChoiceRole", "InstalledLike", "ModelChoice", "friendly_name", "model_choices"]

ChoiceRole = Literal["chat", "whisper"]

# A quantisation at the end of a stem: Q4_K_M, IQ3_XS, Q8_0, F16, BF16, ...
_QUANT = re.compile(r"[-_.](i?q\d+(?:_[a-z0-9]+)*|bf16|fp16|f16|f32)$", re.IGNORECASE)
_SHARD = re.compile(r"-\d{5}-of-\d{5}$")  # a split GGUF's first part
_SIZE = re.compile(r"^\d+(?:\.\d+)?[a-z]$", re.IGNORECASE)  # 0.5b, 270m, 16e
_UPPER = {"it": "IT", "vl": "VL", "gguf": "GGUF", "hf": "HF", "moe": "MoE"}


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the model picker: a model file (chat) or folder (whisper)."""

    path: str
    name: str
    vision: bool  # a chat model that loads with a projector
    role: ChoiceRole


class InstalledLike(Protocol):
    """What `model_choices` needs of an installed model (services' `InstalledModel`)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


def friendly_name(file_name: str, catalog: Catalog) -> str:
    """The catalog's title (with the quant, for language models), else the readable stem."""
    for entry in catalog.entries:
        if file_name in (entry.local_name, *(f.filename for f in entry.files[:1])):
            return entry.title if entry.kind == "whisper" else f"{entry.title} · {entry.quant}"
    return readable_stem(file_name)


def readable_stem(file_name: str) -> str:
    """'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf' -> 'Qwen2.5 Coder 0.5B Instruct · Q4_K_M'."""
    stem = file_name[:-5] if file_name.lower().endswith(".gguf") else file_name
    stem = _SHARD.sub("", stem)
    quant = ""
    if match := _QUANT.search(stem):
        quant, stem = match.group(1).upper(), stem[: match.start()]
    words = " ".join(_word(w) for w in re.split(r"[-_ ]+", stem) if w)
    if not words:
        return file_name
    return f"{words} · {quant}" if quant else words


def _word(word: str) -> str:
    if word.lower() in _UPPER:
        return _UPPER[word.lower()]
    if _SIZE.match(word):
        return word.upper()
    if re.match(r"^v\d", word):
        return word  # a version: v0.3
    return word[0].upper() + word[1:] if word.islower() else word  # keep "SmolVLM2" as it is


def model_choices(
    installed: Iterable[InstalledLike], *, models_dir: Path, catalog: Catalog, with_vision: Collection[str],
    chat: str | None = None, whisper: str | None = None,
) -> list[ModelChoice]:
    """The picker's entries: installed chat models, then Whisper models.

    `with_vision` holds the paths of chat models that load with a projector. The
    plumbing model (a base model that makes a poor chat partner) is listed only when it
    is the current one or has been given a projector (the person paired one with it),
    and so is a current file from outside the models folder.
    """
    chats: list[ModelChoice] = []
    speech: list[ModelChoice] = []
    for model in installed:
        path = str(models_dir / model.name)
        if model.role == "chat" or (model.role == "plumbing" and (path == chat or path in with_vision)):
            chats.append(ModelChoice(path, friendly_name(model.name, catalog), path in with_vision, "chat"))
        elif model.role == "whisper":
            speech.append(ModelChoice(path, friendly_name(model.name, catalog), False, "whisper"))
    for current, group, role in ((chat, chats, "chat"), (whisper, speech, "whisper")):
        if current and all(c.path != current for c in group):
            name = friendly_name(Path(current).name, catalog)
            group.append(ModelChoice(current, name, role == "chat" and current in with_vision, role))
    return chats + speech
