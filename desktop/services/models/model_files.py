"""The models folder's file operations, written once for every way a model arrives
(a download, a pull, an import, the starter set, a generated projector) and for the
manifest:

- `check_free_space`: enough room before a byte is written, or one sentence;
- `written_whole`: write beside the target (`NAME.part`) and rename when whole, so a
  file under its final name is always a whole one; a failure leaves nothing behind;
- `sha256_of`: a file's or a Whisper folder's digest, which Cancel stops;
- `remove`: a file or a folder, never following a link;
- `Cancelled`: the one error a person's Cancel raises, whatever the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from desktop.core.errors import HearthError
from desktop.core.units import human_size

__all__ = ["SPARE_BYTES", "Cancelled", "DiskFullError", "check_free_space", "remove", "sha256_of", "written_whole"]

SPARE_BYTES = 64 * 1024 * 1024  # kept free beyond what a model file needs
_CHUNK = 4 * 1024 * 1024


class Cancelled(HearthError):
    """The person stopped the job; nothing half-made was kept."""


class DiskFullError(HearthError):
    """Not enough free disk space for a model's files."""


def check_free_space(folder: Path, needed: int, *, what: str, spare: int = SPARE_BYTES) -> None:
    """Raise `DiskFullError` unless `folder`'s disk has `needed` bytes (and `spare`) free."""
    free = shutil.disk_usage(folder).free
    if free < needed + spare:
        raise DiskFullError(f"Not enough free disk space for {what}: {human_size(needed)} needed, "
                            f"{human_size(free)} free in {folder}.")


@contextlib.contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """Yield the `.part` path to write (a file or a folder); when the block ends well it
    replaces `target`, and when it fails it is removed."""
    part = target.with_name(target.name + ".part")
    remove(part)
    try:
        yield part
    except BaseException:
        remove(part)
        raise
    if part.is_dir() and not part.is_symlink():
        remove(target)  # os.replace cannot put a folder over another
    os.replace(part, target)


def remove(path: Path) -> None:
    """Remove a file or a folder; a link is removed itself, never what it points to."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def sha256_of(path: Path, *, cancel: threading.Event | None = None) -> str:
    """sha256 of a file, or of a folder's files in name order (a Whisper model)."""
    digest = hashlib.sha256()
    folder = path.is_dir()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if folder else [path]
    for file in files:
        if folder:
            digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as handle:
            while block := handle.read(_CHUNK):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"Checking {path.name} was cancelled.")
                digest.update(block)
    return digest.hexdigest()
