"""Read a GGUF file's header with the `gguf` package before llama.cpp ever opens it.

llama.cpp aborts or crashes on some malformed files; here a truncated, corrupt or
non-GGUF file becomes a `ModelFileError` with one clear sentence, and a model and its
mmproj can be checked to belong together.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

from desktop.core.errors import ModelFileError
from desktop.core.gguf_header import GgufHeader, UnsupportedVersion, read_header
from desktop.core.safe_files import open_regular

__all__ = ["GGUF_MAGIC", "GgufInfo", "best_projector", "check_pair", "read_gguf_info"]

GGUF_MAGIC = b"GGUF"
_FIXED_RESOLUTION = {"mlp", "mlp_norm", "ldp", "ldpv2", "gemma3", "adapter"}
# What the gguf package (pinned with llama.cpp) knows: anything else llama.cpp cannot load.
_ARCHITECTURES = frozenset(gguf.MODEL_ARCH_NAMES.values())
_PROJECTOR_TYPES = frozenset(
    {v for k, v in vars(gguf.VisionProjectorType).items() if k.isupper()}
    | set(gguf.VISION_PROJECTOR_TYPE_NAMES.values()) | {"mlp_norm"}
)
# Projectors trained for one family of language models (llama.cpp's clip.cpp graphs).
# Generic ones (mlp, ldp, resampler, ...) are paired on width alone.
_PROJECTOR_FAMILY = {
    "gemma3": {"gemma3"},
    "qwen2vl_merger": {"qwen2vl"},
    "qwen2.5vl_merger": {"qwen2vl"},
    "qwen3vl_merger": {"qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe"},
    "llama4": {"llama4"},
    "idefics3": {"llama", "smollm3"},
    "pixtral": {"llama", "mistral3"},
}


@dataclass(frozen=True)
class GgufInfo:
    """What Hearth needs to know about a GGUF file, read from its header."""

    path: Path
    architecture: str
    name: str
    size_bytes: int
    embedding_length: int | None  # text models: the model's width
    context_length: int | None
    block_count: int | None
    has_chat_template: bool
    projector_type: str | None  # mmproj files only
    projection_dim: int | None  # mmproj files only: width of the embeddings it produces
    image_size: int | None
    patch_size: int | None

    @property
    def is_projector(self) -> bool:
        return self.architecture == "clip"

    @property
    def max_image_side(self) -> int:
        """Longest image side worth sending: fixed-resolution encoders get their own
        input size, tiling and dynamic-resolution ones a generous 2048."""
        if self.projector_type in _FIXED_RESOLUTION and self.image_size:
            return self.image_size
        return 2048


def read_gguf_info(path: str | Path) -> GgufInfo:
    """Header facts of `path`; raise `ModelFileError` if it is not a whole GGUF file."""
    file = Path(path)
    if not file.exists():
        raise ModelFileError(f"Model file not found: {file}")
    if file.is_dir():
        raise ModelFileError(f"{file.name} is a folder, not a GGUF model file.")
    with open_regular(file, ModelFileError, what="a GGUF model file") as handle:  # a FIFO would hang
        seen = os.fstat(handle.fileno())
        if handle.read(4) != GGUF_MAGIC:
            raise ModelFileError(
                f"{file.name} is not a GGUF model file (it does not start with 'GGUF')."
            )
    return _parsed(file, seen.st_dev, seen.st_ino, seen.st_size, seen.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _parsed(file: Path, _device: int, _inode: int, size: int, _modified_ns: int) -> GgufInfo:
    """The header of one version of a file, parsed once: a vocabulary's 150,000 strings
    take 0.1 s to skip in Python, and the window asks about each model several times as
    it starts. A changed file (size, time or inode) is parsed again."""
    try:
        header = read_header(file)
    except UnsupportedVersion as error:
        raise ModelFileError(f"{file.name}: {error}.") from error
    except Exception as error:  # struct.error, UnicodeDecodeError, KeyError, ...
        raise ModelFileError(
            f"{file.name} is damaged or truncated: its GGUF header cannot be read."
        ) from error
    if header.data_end > size:
        raise ModelFileError(
            f"{file.name} is truncated: {size:,} bytes on disk but its header "
            f"describes {header.data_end:,}."
        )
    fields = header.fields
    arch = str(fields.get("general.architecture", ""))
    if not arch:
        raise ModelFileError(f"{file.name} has no general.architecture: not a usable model file.")
    if arch not in _ARCHITECTURES:
        raise ModelFileError(
            f"{file.name} is a {arch!r} model, an architecture this llama.cpp does not support."
        )
    projector_type = _str(fields.get("clip.projector_type") or fields.get("clip.vision.projector_type"))
    if projector_type is not None and projector_type not in _PROJECTOR_TYPES:
        raise ModelFileError(
            f"{file.name} is a {projector_type!r} projector, a type this llama.cpp does not support."
        )
    return GgufInfo(
        path=file,
        architecture=arch,
        name=str(fields.get("general.name", file.stem)),
        size_bytes=size,
        embedding_length=_int(fields.get(f"{arch}.embedding_length")),
        context_length=_int(fields.get(f"{arch}.context_length")),
        block_count=_int(fields.get(f"{arch}.block_count")),
        has_chat_template=bool(fields.get("tokenizer.chat_template")),
        projector_type=projector_type,
        projection_dim=_projection_dim(header) if arch == "clip" else None,
        image_size=_int(fields.get("clip.vision.image_size")),
        patch_size=_int(fields.get("clip.vision.patch_size")),
    )


def check_pair(model: GgufInfo, mmproj: GgufInfo) -> None:
    """Raise `ModelFileError` unless `mmproj` is a projector whose output fits `model`."""
    if model.is_projector:
        raise ModelFileError(f"{model.path.name} is a projector (mmproj), not a language model.")
    if not mmproj.is_projector:
        raise ModelFileError(
            f"{mmproj.path.name} is a {mmproj.architecture} language model, not a projector (mmproj)."
        )
    if (
        model.embedding_length is not None
        and mmproj.projection_dim is not None
        and model.embedding_length != mmproj.projection_dim
    ):
        raise ModelFileError(
            f"{mmproj.path.name} does not belong to {model.path.name}: it makes "
            f"{mmproj.projection_dim}-wide image embeddings, the model expects "
            f"{model.embedding_length}."
        )
    family = _PROJECTOR_FAMILY.get(mmproj.projector_type or "")
    if family is not None and model.architecture not in family:
        raise ModelFileError(
            f"{mmproj.path.name} is a {mmproj.projector_type} projector and does not belong to "
            f"{model.path.name}, a {model.architecture} model."
        )


def best_projector(model: GgufInfo, projectors: list[GgufInfo]) -> GgufInfo | None:
    """The projector that pairs with `model`, preferring the one whose file or model
    name shares the most words with the model's; None when none pairs."""
    def fits(projector: GgufInfo) -> bool:
        try:
            check_pair(model, projector)
        except ModelFileError:
            return False
        return True

    def overlap(projector: GgufInfo) -> int:
        return len(_words(model.path.stem, model.name) & _words(projector.path.stem, projector.name))

    return max((p for p in projectors if fits(p)), key=overlap, default=None)


def _words(*names: str) -> set[str]:
    generic = {"gguf", "mmproj", "model", "f16", "f32", "bf16", "q8", "instruct", "it"}
    return {w for n in names for w in re.split(r"[^a-z0-9.]+", n.lower()) if w and w not in generic}


def _projection_dim(header: GgufHeader) -> int | None:
    declared = _int(header.fields.get("clip.vision.projection_dim"))
    if declared:
        return declared
    # No declared width: the output size of the last projector matrix (mm.N.weight).
    shapes = {
        int(name.split(".")[1]): shape
        for name, shape in header.tensor_shapes.items()
        if name.startswith("mm.") and name.endswith(".weight") and name.split(".")[1].isdigit()
    }
    if not shapes:
        return None
    last = shapes[max(shapes)]
    return int(last[1]) if len(last) >= 2 else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
