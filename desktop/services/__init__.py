"""Engines and stores: llama.cpp, Whisper, the models folder. QtCore at most, no widgets."""

from desktop.services.llm_engine import AnswerStream, LlmEngine
from desktop.services.model_store import InstalledModel, ModelStore
from desktop.services.starter_models import install_starter_models
from desktop.services.transcriber import Transcriber, Transcript

__all__ = [
    "AnswerStream",
    "InstalledModel",
    "LlmEngine",
    "ModelStore",
    "Transcriber",
    "Transcript",
    "install_starter_models",
]
