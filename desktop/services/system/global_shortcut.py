"""A key combination that works while another app has the focus (Quick Ask's).

On X11 the root window's key is grabbed (XGrabKey, through python-xlib, LGPL-2.1+) on
a connection of its own, read by a thread that sleeps in select() until the X server
or `stop()` wakes it. The grab is made for the combination with and without Caps Lock
and Num Lock, which X counts as modifiers. Another app that holds the same combination
makes `start()` say so. Wayland gives a plain app no global keys: there the desktop's
GlobalShortcuts portal binds it (`portals.PortalShortcut`). Windows registers it with
user32's RegisterHotKey on a thread of its own (`hotkey_windows`), macOS with Carbon's
RegisterEventHotKey on the main thread (`hotkey_macos`). `make_shortcut()` is the one
place that chooses; `shortcut_problem()` says where none can work, and Settings shows
it, as it shows a `start()` refusal or a later `failed` line.

Signals:
    activated(): the combination was pressed, whichever app had the focus.
    failed(str): the key stopped working (one sentence; `problem` holds it too).
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.services.system.hotkey_keys import combination_parts
from desktop.services.system.hotkey_macos import MacShortcut
from desktop.services.system.hotkey_windows import WindowsShortcut
from desktop.services.system.portals import PortalShortcut, wants_portals

__all__ = ["AnyShortcut", "GlobalShortcut", "make_shortcut", "parse_combination", "shortcut_problem"]

log = logging.getLogger(__name__)
_MODIFIERS = {"ctrl": "ControlMask", "control": "ControlMask", "alt": "Mod1Mask", "shift": "ShiftMask",
              "meta": "Mod4Mask", "super": "Mod4Mask", "win": "Mod4Mask"}
_LOCKS = ("LockMask", "Mod2Mask")  # Caps Lock, Num Lock


def shortcut_problem(platform: str) -> str:
    """Why a global shortcut cannot work on Qt's `platform` here ("" when it can). macOS's
    hot key arrives through the Cocoa event loop, so it needs Qt's "cocoa" platform."""
    if (platform == "xcb" and sys.platform.startswith("linux")) or wants_portals(platform):
        return ""  # the portal's own answer comes later, as `failed` when it has none
    if (sys.platform == "win32" and platform == "windows") or (sys.platform == "darwin" and platform == "cocoa"):
        return ""  # a refusal comes from start()
    return "A global shortcut is not available on this system yet."


def make_shortcut(platform: str, combination: str) -> AnyShortcut:
    """THE choice: RegisterHotKey on Windows, Carbon's hot key on macOS, the desktop's
    GlobalShortcuts portal on Wayland, X11's grab on X11."""
    if sys.platform == "win32":
        return WindowsShortcut(combination)
    if sys.platform == "darwin":
        return MacShortcut(combination)
    return PortalShortcut(combination) if wants_portals(platform) else GlobalShortcut(combination)


def parse_combination(text: str) -> tuple[list[str], str]:
    """"Ctrl+Alt+Space" -> (["ControlMask", "Mod1Mask"], "space"); ValueError if unusable."""
    modifiers, key = combination_parts(text, _MODIFIERS, "Ctrl, Alt, Shift or Super")
    return sorted({_MODIFIERS[m] for m in modifiers}), key.lower()


class GlobalShortcut(QObject):
    activated = Signal()
    failed = Signal(str)

    def __init__(self, combination: str) -> None:
        super().__init__()
        self.combination = combination
        self.problem = ""
        self._thread: threading.Thread | None = None
        self._wake_read, self._wake_write = -1, -1

    def start(self) -> str:
        """Grab the combination; "" when it works, else one sentence saying why not."""
        try:
            from Xlib import XK, X, error
            from Xlib.display import Display
        except ImportError:
            return "A global shortcut needs python-xlib (installed with Hearth on Linux)."
        try:
            modifiers, key = parse_combination(self.combination)
        except ValueError as problem:
            return str(problem)
        try:
            display = Display()
        except Exception as problem:  # no X server, refused: one sentence
            return f"Could not reach the X server for a global shortcut ({type(problem).__name__})."
        keysym = XK.string_to_keysym(key) or XK.string_to_keysym(key.capitalize())
        keycode = display.keysym_to_keycode(keysym) if keysym else 0
        if not keycode:
            display.close()
            return f"“{key}” is not a key this keyboard has."
        mask = 0
        for name in modifiers:
            mask |= getattr(X, name)
        root = display.screen().root
        caught = error.CatchError(error.BadAccess)
        for extra in _lock_combinations(X):
            root.grab_key(keycode, mask | extra, True, X.GrabModeAsync, X.GrabModeAsync, onerror=caught)
        display.sync()
        if caught.get_error() is not None:
            display.close()
            return f"Another app already uses {self.combination}; choose another key in Settings."
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._listen, args=(display, keycode, X), name="hearth-global-key",
                                        daemon=True)
        self._thread.start()
        return ""

    def stop(self) -> None:
        """Release the grab and join the thread. Idempotent."""
        if self._thread is None:
            return
        os.write(self._wake_write, b"x")
        self._thread.join(5)
        self._thread = None
        for fd in (self._wake_read, self._wake_write):
            os.close(fd)

    def _listen(self, display: Any, keycode: int, x: Any) -> None:
        try:
            while True:
                ready, _, _ = select.select([display.fileno(), self._wake_read], [], [])
                if self._wake_read in ready:
                    break
                while display.pending_events():
                    event = display.next_event()
                    if event.type == x.KeyPress and event.detail == keycode:
                        self.activated.emit()
        except Exception as problem:
            log.exception("the global shortcut stopped listening")
            self.problem = f"The global key stopped working ({type(problem).__name__}); restart Hearth to try again."
            self.failed.emit(self.problem)
        finally:
            display.close()  # the server drops the grab with the connection


def _lock_combinations(x: Any) -> list[int]:
    """0, Caps Lock, Num Lock and both: the grab must not depend on them."""
    locks = [getattr(x, name) for name in _LOCKS]
    return [0, locks[0], locks[1], locks[0] | locks[1]]


# What make_shortcut() gives; each has activated, failed(str), problem, combination,
# start() -> "" or one sentence, and an idempotent stop().
AnyShortcut = GlobalShortcut | PortalShortcut | WindowsShortcut | MacShortcut
