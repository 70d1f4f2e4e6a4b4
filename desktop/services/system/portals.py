"""The XDG desktop portals Hearth uses on Wayland, where a plain app may neither read the
screen nor grab a key: Screenshot ("Ask about my screen") and GlobalShortcuts (Quick
Ask's key). Each runs its D-Bus conversation on a worker thread of its own
(`portal_bus`), which `cancel()`/`stop()` wake and join.

Screenshot asks with `interactive: true`: the desktop's own dialog lets the person
choose the screen, a window or an area, so Hearth's region picker is not needed. The
desktop writes the picture to a file and answers its file:// URI. GNOME and KDE write
it into ~/Pictures (normcap#600 reports the same), where it would quietly pile up, so
Hearth reads it (bounded, checked with Pillow) and deletes the file when it was
written for this request; when it cannot, the person is told where the copy is.

GlobalShortcuts: CreateSession, then BindShortcuts asks for "quick-ask" with a
preferred trigger in the XDG shortcuts format ("CTRL+ALT+space"); the desktop may ask
the person and may bind another key. `Activated` signals then arrive until `stop()`
closes the session.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import ImageError
from desktop.core.images import MAX_FILE_BYTES, MAX_PIXELS
from desktop.core.safe_files import open_regular, printable
from desktop.services.system.hotkey_keys import combination_parts
from desktop.services.system.portal_bus import DESKTOP_PATH, PortalBus, PortalError, Stopped, Wake, signal_is

__all__ = ["ANSWER_S", "PortalScreenshot", "PortalShortcut", "read_portal_image", "wants_portals", "xdg_trigger"]

log = logging.getLogger(__name__)
SCREENSHOT = "org.freedesktop.portal.Screenshot"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
SHORTCUT_ID = "quick-ask"
ANSWER_S = 120.0  # the person's time in the desktop's dialog
SESSION_S = 30.0  # CreateSession asks nobody
_FRESH_S = 5.0  # a file modified this long before the request began was not written for it
_JOIN_S = 5.0
_XDG_MODIFIERS = {"ctrl": "CTRL", "control": "CTRL", "alt": "ALT", "shift": "SHIFT", "meta": "LOGO",
                  "super": "LOGO", "win": "LOGO"}
_KEYSYMS = {"space": "space", "esc": "Escape", "escape": "Escape", "return": "Return", "enter": "KP_Enter",
            "tab": "Tab", "backspace": "BackSpace", "del": "Delete", "delete": "Delete", "ins": "Insert",
            "insert": "Insert", "pgup": "Prior", "pgdown": "Next", "home": "Home", "end": "End", "left": "Left",
            "right": "Right", "up": "Up", "down": "Down", "print": "Print", ",": "comma", ".": "period",
            "/": "slash", ";": "semicolon", "'": "apostrophe", "[": "bracketleft", "]": "bracketright",
            "\\": "backslash", "-": "minus", "=": "equal", "`": "grave"}
NO_SHORTCUTS = ("This desktop's portal has no GlobalShortcuts (it needs xdg-desktop-portal 1.16 or newer and a "
                "desktop that provides it, such as KDE Plasma 5.27 or GNOME 48), so Quick Ask has no key from other "
                "apps here; give it one in your desktop's keyboard settings.")
NO_SCREENSHOT = "This desktop's portal cannot take screenshots; use a screenshot tool and paste the picture."


def wants_portals(platform: str) -> bool:
    """THE rule: on Wayland (Qt's `platform`) the portals stand in for X11's grabs."""
    return platform == "wayland" and sys.platform.startswith("linux")


def xdg_trigger(combination: str) -> str:
    """"Ctrl+Alt+Space" -> "CTRL+ALT+space" (the XDG shortcuts spec); ValueError if unusable."""
    modifiers, key = combination_parts(combination, _XDG_MODIFIERS, "Ctrl, Alt, Shift or Super")
    order = ["SHIFT", "CTRL", "ALT", "LOGO"]
    names = sorted({_XDG_MODIFIERS[m] for m in modifiers}, key=order.index)
    keysym = _KEYSYMS.get(key.lower(), key.lower() if len(key) == 1 else key)
    return "+".join([*names, keysym])


def read_portal_image(uri: str, *, since: float) -> tuple[bytes, str]:
    """The picture the portal wrote: (its bytes, a note for the person or ""). The file is
    deleted when it was written for this request (modified after `since`, ours);
    ImageError (one sentence) when it is no local file, too large or broken."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise ImageError(f"The desktop's screenshot is not a local file ({printable(uri[:200])}).")
    path = Path(unquote(parts.path))
    try:
        with open_regular(path, ImageError, what="a screenshot", follow_links=False) as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise ImageError(f"The desktop's screenshot is too large ({size // (1024 * 1024)} MB); "
                                 f"the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB.")
            data = file.read(MAX_FILE_BYTES + 1)
    finally:
        note = _remove_if_ours(path, since)
    if len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise ImageError("The desktop's screenshot is too large.")
    _check_image(data)
    return data, note


def _check_image(data: bytes) -> None:
    """Pillow reads the header and checks the chunks; bombs and broken files are refused."""
    import warnings

    from PIL import Image

    if not data:
        raise ImageError("The desktop's screenshot is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageError(f"The desktop's screenshot is too large ({width}×{height} pixels).")
                image.verify()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("The desktop's screenshot is too large to open safely.") from None
    except Exception as error:  # Pillow raises many kinds for a broken file
        raise ImageError(f"The desktop's screenshot cannot be read ({type(error).__name__}).") from None


def _remove_if_ours(path: Path, since: float) -> str:
    try:
        status = path.lstat()
    except OSError:
        return ""
    if not stat.S_ISREG(status.st_mode) or status.st_mtime < since - _FRESH_S or status.st_uid != os.getuid():
        return ""  # not a file written for this request: not Hearth's to delete
    try:
        path.unlink()
    except OSError as problem:
        return f"Your desktop kept a copy of this screenshot at {printable(path)} ({problem.strerror})."
    return ""


class _Worker(QObject):
    """A thread with a wake pipe: `_run(bus)` on it; `_halt()` wakes it and joins it."""

    def __init__(self, name: str, address: str) -> None:
        super().__init__()
        self._name, self._address = name, address
        self._thread: threading.Thread | None = None
        self._wake: Wake | None = None

    def _launch(self) -> None:
        self._halt()
        self._wake = Wake()
        self._thread = threading.Thread(target=self._main, args=(self._wake,), name=self._name, daemon=True)
        self._thread.start()

    def _halt(self) -> None:
        if self._thread is not None and self._wake is not None:
            self._wake.set()
            self._thread.join(_JOIN_S)
            if self._thread.is_alive():  # bounded waits make this a bug; keep the pipe for it
                log.error("%s did not stop within %s s", self._name, _JOIN_S)
            else:
                self._wake.close()
        self._thread = self._wake = None

    def _busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _main(self, wake: Wake) -> None:
        from jeepney.wrappers import DBusErrorResponse

        bus = PortalBus(wake, self._address)
        try:
            bus.connect()
            self._run(bus)
        except Stopped:
            pass
        except (PortalError, ImageError) as problem:
            self._fail(str(problem))
        except DBusErrorResponse as error:
            self._fail(f"The desktop's portal refused ({error.name}).")
        except (OSError, TimeoutError) as problem:
            self._fail(f"The desktop's portal stopped answering ({type(problem).__name__}).")
        except Exception:
            log.exception("%s failed", self._name)
            self._fail("The desktop's portal failed; Hearth's log has the details.")
        finally:
            with contextlib.suppress(Stopped, OSError, TimeoutError):
                self._finish(bus)
            bus.close()

    def _run(self, bus: PortalBus) -> None:
        raise NotImplementedError

    def _fail(self, message: str) -> None:
        raise NotImplementedError

    def _finish(self, bus: PortalBus) -> None:
        """On the way out, even after a stop (calls here must not be cancellable)."""


class PortalScreenshot(_Worker):
    """One screenshot at a time through the desktop's Screenshot portal.

    Signals:
        captured(bytes, str): the picture's file contents (checked) and a note for the
            person ("", or where the desktop kept a copy Hearth could not delete).
        cancelled(): the person closed the desktop's dialog.
        failed(str): one sentence: no portal, no answer in time, a broken file.
    """

    captured = Signal(bytes, str)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, *, address: str = "SESSION", answer_s: float = ANSWER_S) -> None:
        super().__init__("hearth-portal-screenshot", address)
        self._answer_s = answer_s

    @property
    def busy(self) -> bool:
        return self._busy()

    def take(self) -> None:
        """Ask the desktop for a screenshot (its dialog picks what); ignored while one is asked."""
        if not self._busy():
            self._launch()

    def cancel(self) -> None:
        """Close the desktop's dialog, if open, and join the thread. Idempotent."""
        self._halt()

    def _run(self, bus: PortalBus) -> None:
        bus.version(SCREENSHOT, missing=NO_SCREENSHOT)
        since = time.time()
        try:
            response, results = bus.request(SCREENSHOT, "Screenshot", "s", ("",), {"interactive": ("b", True)},
                                            timeout=self._answer_s)
        except TimeoutError:
            raise PortalError(f"The desktop's screenshot dialog did not answer within "
                              f"{self._answer_s:g} seconds.") from None
        if response == 1:
            self.cancelled.emit()
        elif response != 0 or not isinstance(results.get("uri"), str):
            self.failed.emit("The desktop could not take the screenshot.")
        else:
            self.captured.emit(*read_portal_image(results["uri"], since=since))

    def _fail(self, message: str) -> None:
        self.failed.emit(message)


class PortalShortcut(_Worker):
    """Quick Ask's key through the desktop's GlobalShortcuts portal (start/stop like the X11 grab).

    Signals:
        activated(): the desktop says the key was pressed, whichever app had the focus.
        bound(str): the desktop bound the key; how it names the trigger ("" if it did not say).
        failed(str): one sentence: no portal, declined, no answer, the session ended.
    """

    activated = Signal()
    bound = Signal(str)
    failed = Signal(str)

    def __init__(self, combination: str, *, address: str = "SESSION", answer_s: float = ANSWER_S) -> None:
        super().__init__("hearth-portal-key", address)
        self.combination = combination
        self.problem = ""  # set before `failed` is emitted: which shortcut failed is never in doubt
        self._answer_s = answer_s
        self._session = ""

    def start(self) -> str:
        """Ask for the key (the answer comes later: `bound` or `failed`); "" or why not at all."""
        try:
            xdg_trigger(self.combination)
        except ValueError as problem:
            return str(problem)
        self._launch()
        return ""

    def stop(self) -> None:
        """Close the session (the desktop lets the key go) and join the thread. Idempotent."""
        self._halt()

    def _run(self, bus: PortalBus) -> None:
        bus.version(SHORTCUTS, missing=NO_SHORTCUTS)
        try:
            token = ("s", "hearth_" + secrets.token_hex(6))
            response, results = bus.request(SHORTCUTS, "CreateSession", "", (), {"session_handle_token": token},
                                            timeout=SESSION_S)
            if response != 0:
                raise PortalError("The desktop gave Hearth no shortcut session.")
            self._session = session = str(results["session_handle"])
            bus.add_match(interface=SHORTCUTS, member="Activated", path=DESKTOP_PATH)
            bus.add_match(interface="org.freedesktop.portal.Session", member="Closed", path=session)
            wanted = [(SHORTCUT_ID, {"description": ("s", "Open Hearth Quick Ask"),
                                     "preferred_trigger": ("s", xdg_trigger(self.combination))})]
            response, results = bus.request(SHORTCUTS, "BindShortcuts", "oa(sa{sv})s", (session, wanted, ""), {},
                                            timeout=self._answer_s)
        except TimeoutError:
            raise PortalError(f"The desktop did not answer Hearth's request for a key within "
                              f"{self._answer_s:g} seconds.") from None
        if response == 1:
            raise PortalError("The desktop's dialog declined Quick Ask's key; Hearth asks again at its next start.")
        if response != 0:
            raise PortalError("The desktop could not bind Quick Ask's key.")
        self.bound.emit(_trigger_description(results.get("shortcuts", [])))
        while True:
            message = bus.next_signal(lambda m: self._ours(m, session), timeout=None)
            if signal_is(message, session, "org.freedesktop.portal.Session", "Closed"):
                self._session = ""
                raise PortalError("The desktop ended Quick Ask's key (its shortcut session was closed).")
            if message.body[1] == SHORTCUT_ID:
                self.activated.emit()

    @staticmethod
    def _ours(message: Any, session: str) -> bool:
        if signal_is(message, DESKTOP_PATH, SHORTCUTS, "Activated"):
            return str(message.body[0]) == session
        return signal_is(message, session, "org.freedesktop.portal.Session", "Closed")

    def _fail(self, message: str) -> None:
        self.problem = message
        self.failed.emit(message)

    def _finish(self, bus: PortalBus) -> None:
        if self._session:
            bus.close_object(self._session, "org.freedesktop.portal.Session")
            self._session = ""


def _trigger_description(shortcuts: list) -> str:
    for shortcut_id, details in shortcuts:
        if shortcut_id == SHORTCUT_ID and "trigger_description" in details:
            return str(details["trigger_description"][1])
    return ""
