"""Pure Python core: data types, prompt building, images, audio, GGUF headers, paths.

No Qt and no engine library may be imported here (enforced by import-linter).
"""

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer, AnswerStats, EngineConfig, EngineInfo, GenerationOptions
from desktop.core.errors import AudioError, EngineError, HearthError, ImageError, ModelFileError
from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings

__all__ = [
    "Answer",
    "AnswerStats",
    "Attachment",
    "AudioError",
    "EngineConfig",
    "EngineError",
    "EngineInfo",
    "GenerationOptions",
    "HearthError",
    "HearthPaths",
    "ImageError",
    "Message",
    "ModelFileError",
    "Settings",
]
