"""Engines and stores: llama.cpp, Whisper, the models folder. QtCore at most, no widgets.

One package per domain, in layers that import-linter keeps (pyproject.toml): `bench` on
top; `api`, `history` and `models` beside each other; `engines` and `speech` at the
bottom, knowing nothing of the rest.

The public names load lazily (PEP 562), so checking a file (importing a model, say)
never loads llama.cpp or CTranslate2 just because this package was imported.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AnswerStream",
    "InstalledModel",
    "LlmEngine",
    "ModelStore",
    "Transcriber",
    "Transcript",
    "install_starter_models",
]

_HOMES = {
    "AnswerStream": "engines.llm_engine", "LlmEngine": "engines.llm_engine", "InstalledModel": "models.model_store",
    "ModelStore": "models.model_store", "Transcriber": "speech.transcriber", "Transcript": "speech.transcriber",
    "install_starter_models": "models.starter_models",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
