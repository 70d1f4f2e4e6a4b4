"""Errors a person can act on.

Every failure that bad input can cause is raised as a `HearthError` whose `str()` is
one complete sentence for the person: the CLI prints it on one line and exits 2; the
window shows it inline. Anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

__all__ = ["AudioError", "ContextTooLongError", "EngineError", "HearthError", "ImageError", "ModelFileError"]


class HearthError(Exception):
    """Base class: the message is meant for the person, not the developer."""


class ImageError(HearthError):
    """An attached image cannot be used (missing, not an image, broken, too large)."""


class AudioError(HearthError):
    """A recording or audio file cannot be used (missing, empty, not a WAV, silent)."""


class ModelFileError(HearthError):
    """A model file is missing, damaged, of the wrong kind, or does not fit its pair."""


class EngineError(HearthError):
    """The engine cannot do what was asked (no vision model, prompt too long, ...)."""


class ContextTooLongError(EngineError):
    """The newest message alone does not fit the model's context."""
