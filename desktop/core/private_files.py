"""Owner-only files and folders: what a person keeps with Hearth is theirs alone.

Conversations, images, settings (with a remote engine's key) and the API key live
under Hearth's folders, so those folders are 0700 and their files 0600 whatever the
umask says. An install made before this rule (or copied in by hand) is tightened the
first time it is opened, and the caller logs what was changed. This is the one module
that decides these modes.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "PRIVATE_UMASK",
    "exposed",
    "make_private_dir",
    "make_private_file",
    "tighten",
    "write_private_text",
]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077  # what the composition roots set, so every file they create is owner-only
_OTHERS = 0o077  # group and other bits


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing folder loses group/other access."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _strip_others(path)
    return path


def make_private_file(path: Path) -> Path:
    """Create `path` empty if missing, with mode 0600 from the start (no window in which
    another user could open it); an existing file loses group/other access.

    An existing file is changed by name and never opened: closing any descriptor of a
    file drops every POSIX lock this process holds on it, and SQLite's locks are how
    another process knows the database is in use (without them, that process's close
    deletes the -wal this one still writes to). A link is refused, never followed.
    """
    make_private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                             PRIVATE_FILE_MODE)
    except FileExistsError:
        if path.is_symlink():
            raise OSError(errno.ELOOP, "a link, not a file", str(path)) from None
        _strip_others(path)
        return path
    os.close(descriptor)
    _strip_others(path)  # a umask cannot widen the mode given, but an odd filesystem might
    return path


def write_private_text(path: Path, text: str) -> None:
    """Write `text` whole or not at all (a `.part` file, then rename), owner-only."""
    make_private_dir(path.parent)
    part = path.with_name(path.name + ".part")
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                         PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        if hasattr(os, "fchmod"):  # POSIX; a .part left by an older version had its own mode
            os.fchmod(file.fileno(), PRIVATE_FILE_MODE)
        file.write(text)
    os.replace(part, path)


def tighten(roots: Iterable[Path]) -> list[Path]:
    """Remove group/other access from every folder and file under `roots` (links are
    not followed); returns what was changed, for one line in the log."""
    changed: list[Path] = []
    for root in roots:
        if not root.is_dir() or root.is_symlink():
            continue
        if _strip_others(root):
            changed.append(root)
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                path = Path(folder, name)
                if not path.is_symlink() and _strip_others(path):
                    changed.append(path)
    return changed


def exposed(roots: Iterable[Path]) -> list[Path]:
    """The folders and files under `roots` that other users can read or enter (for `hearth doctor`)."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir() or root.is_symlink():
            continue
        candidates = [root]
        for folder, dirs, files in os.walk(root):
            candidates.extend(Path(folder, name) for name in (*dirs, *files))
        found.extend(p for p in candidates if not p.is_symlink() and p.lstat().st_mode & _OTHERS)
    return found


def _strip_others(path: Path) -> bool:
    """True if group/other access was removed; a file this user may not change (another
    owner's) is left as it is, and `hearth doctor` names it."""
    try:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if not mode & _OTHERS:
            return False
        os.chmod(path, mode & ~_OTHERS)
    except OSError:
        return False
    return True
