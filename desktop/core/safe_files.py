"""Files and names from outside Hearth: open only regular files, print names safely.

A path a person passes on may be a named pipe that blocks forever, a device that never
ends (/dev/zero) or a link to someone's secrets, and a file name may hold newlines or
terminal escapes that forge or repaint lines when printed. These helpers let every
reader refuse the first kind before opening it and every printer escape the second.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO

from desktop.core.errors import HearthError

__all__ = ["file_kind", "open_regular", "printable"]

_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}  # controls, format (bidi), surrogates, separators


def printable(name: object) -> str:
    """`name` (a str or path) with every control character shown as an escape.

    C0 and C1 controls (ESC included), DEL, bidi and other format characters, line
    separators and the surrogates that stand for undecodable bytes become `\\n`,
    `\\x1b`, `\\u202e`, `\\xff`...: a name prints as one line and cannot steer the terminal.
    """
    text = os.fspath(name) if isinstance(name, os.PathLike) else str(name)
    return "".join(_escape(char) if unicodedata.category(char) in _HIDDEN_CATEGORIES else char for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words, for a sentence like 'X is a named pipe'."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def open_regular(path: str | Path, error: type[HearthError], *, what: str = "a file",
                 follow_links: bool = True) -> BinaryIO:
    """Open `path` for reading only if it is a regular file, else raise `error` (one sentence).

    The kind is checked before opening (a FIFO's open would block, a device's may act)
    and again on the open descriptor, which is opened non-blocking: a FIFO swapped in
    between cannot hang the reader. `follow_links=False` refuses a symbolic link.
    """
    file = Path(path)
    shown, short = printable(file), printable(file.name or file)
    try:
        before = os.stat(file) if follow_links else os.lstat(file)
    except FileNotFoundError:
        raise error(f"{shown} was not found.") from None
    except OSError as failure:
        raise error(f"{shown} cannot be read ({failure.strerror}).") from failure
    if not stat.S_ISREG(before.st_mode):
        raise error(f"{short} is {file_kind(before.st_mode)}, not {what}.")
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_links else os.O_NOFOLLOW)
    try:
        descriptor = os.open(file, flags)
    except OSError as failure:
        raise error(f"{shown} cannot be read ({failure.strerror}).") from failure
    after = os.fstat(descriptor)
    if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
        os.close(descriptor)
        raise error(f"{short} changed while it was being opened; it was not read.")
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")
