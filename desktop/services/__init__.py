"""Engines and stores: llama.cpp, Whisper, the models folder. QtCore at most, no widgets.

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
    "AnswerStream": "llm_engine", "LlmEngine": "llm_engine", "InstalledModel": "model_store",
    "ModelStore": "model_store", "Transcriber": "transcriber", "Transcript": "transcriber",
    "install_starter_models": "starter_models",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
