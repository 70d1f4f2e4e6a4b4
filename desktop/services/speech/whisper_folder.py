"""Is a folder a CTranslate2 Whisper model? The one check for every Whisper folder Hearth
installs or loads (imported, pulled, the starter set, the transcriber), apart from the
modules that do those things, so speech and models can both use it."""

from __future__ import annotations

import os
import stat
import struct
from itertools import islice
from pathlib import Path

from desktop.core.errors import ModelFileError
from desktop.core.safe_files import file_kind, open_regular, printable
from desktop.core.units import human_size

__all__ = ["folder_files", "whisper_folder_problem"]

_MAX_FOLDER_ENTRIES = 1000  # a Whisper folder holds a handful of files
_CT2_VERSIONS = range(2, 7)  # model.bin format versions that name their spec; CTranslate2 4 writes 6
_MIN_MODEL_BIN = 1024 * 1024  # the smallest Whisper (tiny, int8) is about 40 MB


def whisper_folder_problem(folder: Path) -> str:
    """Why `folder` is not a CTranslate2 Whisper model, or '' when it is one.

    The one check for every Whisper folder Hearth installs (imported or pulled): a real
    folder holding only regular files and folders (no links, pipes or devices), with
    config.json, a tokenizer or vocabulary, and a model.bin that starts like CTranslate2's."""
    shown = printable(folder.name)
    try:
        folder_files(folder)
    except ModelFileError as error:
        return str(error)
    if not (folder / "model.bin").is_file():
        return f"{shown} is not a Whisper model folder: it has no model.bin (CTranslate2 format)."
    if not (folder / "config.json").is_file():
        return f"{shown} is not a Whisper model folder: it has no config.json."
    if not any((folder / n).is_file() for n in ("tokenizer.json", "vocabulary.txt", "vocabulary.json")):
        return f"{shown} is not a Whisper model folder: it has no tokenizer or vocabulary."
    try:
        return _model_bin_problem(folder / "model.bin", shown)
    except ModelFileError as error:
        return str(error)


def folder_files(folder: Path) -> list[Path]:
    """The regular files under `folder`, relative to it; `ModelFileError` naming the first
    symbolic link or special file (links are never followed, the folder's own included)."""
    shown = printable(folder.name)
    if folder.is_symlink():
        raise ModelFileError(f"{shown} is a symbolic link; import the folder it points to, not the link.")
    files: list[Path] = []
    pending, seen = [folder], 0
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                listing = list(islice(entries, _MAX_FOLDER_ENTRIES + 1))  # a huge folder is not listed whole
        except OSError as error:
            raise ModelFileError(f"{shown} cannot be read ({error.strerror}).") from error
        for entry in listing:
            seen += 1
            if seen > _MAX_FOLDER_ENTRIES:
                raise ModelFileError(f"{shown} holds more than {_MAX_FOLDER_ENTRIES} files; "
                                     "a Whisper model folder holds a handful.")
            inner = printable(Path(entry.path).relative_to(folder))
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                pending.append(Path(entry.path))
            elif stat.S_ISREG(mode):
                files.append(Path(entry.path).relative_to(folder))
            else:
                raise ModelFileError(f"{shown} holds {inner}, which is {file_kind(mode)}: a model "
                                     "folder may hold only regular files and folders.")
    return sorted(files)


def _model_bin_problem(path: Path, shown: str) -> str:
    """'' when `path` starts as CTranslate2 writes a Whisper model.bin: a little-endian
    uint32 format version, the spec's name ('WhisperSpec', uint16 length with its NUL),
    uint32 spec revision and uint32 count of variables, then the weights."""
    not_whisper = f"{shown} is not a Whisper model folder: its model.bin"
    with open_regular(path, ModelFileError, what="a model file", follow_links=False) as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(256)
    if size < _MIN_MODEL_BIN:
        return f"{not_whisper} is only {human_size(size)}, too small to hold a model."
    version, length = struct.unpack_from("<IH", head)
    if version not in _CT2_VERSIONS:
        return f"{not_whisper} is not a CTranslate2 model (format version {version} is unknown)."
    spec = head[6: 6 + length]
    if len(spec) != length or not spec.endswith(b"\0") or len(head) < 14 + length:
        return f"{not_whisper} has a damaged CTranslate2 header."
    if spec != b"WhisperSpec\0":
        name = printable(spec[:-1][:40].decode("utf-8", "replace"))
        return f"{not_whisper} holds a CTranslate2 '{name}' model, not Whisper."
    if struct.unpack_from("<I", head, 10 + length)[0] == 0:
        return f"{not_whisper} holds no weights."
    return ""
