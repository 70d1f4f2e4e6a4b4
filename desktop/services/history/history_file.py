"""Opening the history database file: owner-only, checked, and never silently replaced.

A damaged file (garbage in the middle, truncated to nothing, not SQLite at all) is
renamed aside with its -wal and -shm files, never overwritten, and a fresh database is
started; the caller tells the person in one sentence where the old one was kept.
A file that cannot be opened for other reasons (read-only disk, no permission) is an
error, and nothing is moved.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from desktop.core.errors import HearthError
from desktop.core.private_files import make_private_dir, make_private_file

__all__ = ["OpenedHistory", "StoreError", "open_history", "sidecars"]

log = logging.getLogger(__name__)
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


class StoreError(HearthError):
    """The history database cannot be opened or written (read-only, corrupt, disk full)."""


@dataclass(frozen=True)
class OpenedHistory:
    connection: sqlite3.Connection
    set_aside: Path | None  # where a damaged file was kept, if one was found


def sidecars(path: Path) -> tuple[Path, Path]:
    """SQLite's write-ahead log and shared-memory index beside the database."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def open_history(path: Path, schema: str) -> OpenedHistory:
    """Open (or create) the database at `path`, checked and owner-only."""
    try:
        make_private_dir(path.parent)
    except OSError as error:
        raise StoreError(f"The history database {path} cannot be opened: {_reason(error)}.") from error
    existed = path.exists()
    try:
        if existed and path.is_file() and path.stat().st_size == 0 and not sidecars(path)[0].exists():
            raise _Damaged("it was empty (0 bytes)")
        return OpenedHistory(_connect(path, schema, check=existed), None)
    except _Damaged as damage:
        kept = _set_aside(path, str(damage))
        return OpenedHistory(_connect(path, schema, check=False), kept)


class _Damaged(Exception):
    """The file is not a sound SQLite database (corrupt, truncated, something else)."""


def _connect(path: Path, schema: str, *, check: bool) -> sqlite3.Connection:
    """Connect, check, and make sure the database and its -wal/-shm are 0600.

    The file is created 0600 before SQLite opens it: SQLite gives -wal and -shm the
    database's own mode.
    """
    try:
        make_private_file(path)
        connection = sqlite3.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"The history database {path} cannot be opened: {_reason(error)}.") from error
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA secure_delete = ON")  # deleted text and images are overwritten with zeros
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0] if check else "ok"
        if verdict != "ok":
            raise _Damaged(f"integrity check: {verdict}")
        connection.executescript(schema)
        for file in (path, *sidecars(path)):  # changed by name only: SQLite holds locks on them now
            if file.exists():
                make_private_file(file)
    except sqlite3.DatabaseError as error:
        connection.close()
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _DAMAGED:  # extended codes keep the primary one in the low byte
            raise _Damaged(str(error)) from error
        raise StoreError(f"The history database {path} cannot be opened: {error}.") from error
    except BaseException:
        connection.close()
        raise
    return connection


def _reason(error: OSError | sqlite3.Error) -> str:
    return error.strerror or str(error) if isinstance(error, OSError) else str(error)


def _set_aside(path: Path, why: str) -> Path:
    """Rename the damaged database (and its -wal/-shm) to a name no one else uses."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        kept = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{attempt}" if attempt else ""))
        if not any(p.exists() for p in (kept, *sidecars(kept))):
            break
    else:
        raise StoreError(f"The history database {path} is damaged and could not be kept aside.")
    try:
        for old, new in zip((path, *sidecars(path)), (kept, *sidecars(kept)), strict=True):
            if old.exists():
                os.rename(old, new)  # same folder: atomic, never over an existing file (checked above)
    except OSError as error:
        raise StoreError(f"The history database {path} is damaged and could not be kept aside: "
                         f"{error.strerror}.") from error
    log.warning("history database %s is damaged (%s); kept as %s, starting a fresh one", path, why, kept)
    return kept

