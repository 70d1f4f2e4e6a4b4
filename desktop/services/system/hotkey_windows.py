"""Quick Ask's global key on Windows: user32's RegisterHotKey, through ctypes.

RegisterHotKey with hWnd NULL posts WM_HOTKEY "to the message queue of the calling
thread", and a hot key belongs to the thread that registered it (UnregisterHotKey works
only there). So a thread of its own (`hearth-global-key`) makes its message queue
(PeekMessageW, as PostThreadMessageW's documentation asks, so that `stop()` can post to
it at once), registers the key, sleeps in GetMessageW and emits `activated` for each
WM_HOTKEY; `stop()` posts WM_QUIT to it with PostThreadMessageW (GetMessageW then returns
0), and the thread unregisters the key before it ends. MOD_NOREPEAT: holding the
combination down sends one WM_HOTKEY, not the keyboard's auto-repeat. Another app that
holds the combination makes RegisterHotKey fail with ERROR_HOTKEY_ALREADY_REGISTERED
(1409): `start()` says so in one sentence.

The user32 calls are a small object of plain callables (`User32`), made with ctypes by
`load_user32()` on Windows only, so tests elsewhere drive the thread with fakes.
Reference: learn.microsoft.com, "RegisterHotKey", "GetMessage", "PostThreadMessageW",
"Virtual-Key Codes".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from desktop.services.system.hotkey_keys import key_code, split_combination

__all__ = ["MODIFIERS", "VIRTUAL_KEYS", "User32", "WindowsShortcut", "load_user32", "windows_hotkey"]

log = logging.getLogger(__name__)
MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x0001, 0x0002, 0x0004, 0x0008, 0x4000
WM_QUIT, WM_HOTKEY, WM_USER = 0x0012, 0x0312, 0x0400
PM_NOREMOVE = 0x0000
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
HOTKEY_ID = 1  # an application's ids are 0x0000-0xBFFF; one key per thread
_JOIN_S = 5.0

# Qt's names (Settings writes PortableText, "Meta" is the Windows key) -> MOD_* flags
MODIFIERS = {"ctrl": MOD_CONTROL, "control": MOD_CONTROL, "alt": MOD_ALT, "shift": MOD_SHIFT, "meta": MOD_WIN,
             "win": MOD_WIN, "super": MOD_WIN}
_MODIFIER_NAMES = "Ctrl, Alt, Shift or Win"

# Qt's key names, lower case -> virtual-key codes. Letters and digits are their ASCII
# upper-case codes; VK_F1..VK_F24 are 0x70..0x87; the punctuation is VK_OEM_* (US layout).
# F12 is left out: "reserved for use by the debugger at all times" (RegisterHotKey).
VIRTUAL_KEYS: dict[str, int] = {
    **{chr(code).lower(): code for code in range(ord("A"), ord("Z") + 1)},
    **{str(digit): 0x30 + digit for digit in range(10)},
    **{f"f{n}": 0x6F + n for n in range(1, 25) if n != 12},
    "space": 0x20, "return": 0x0D, "enter": 0x0D, "tab": 0x09, "backspace": 0x08, "esc": 0x1B, "escape": 0x1B,
    "ins": 0x2D, "insert": 0x2D, "del": 0x2E, "delete": 0x2E, "home": 0x24, "end": 0x23, "pgup": 0x21,
    "pgdown": 0x22, "left": 0x25, "up": 0x26, "right": 0x27, "down": 0x28, "print": 0x2C, "pause": 0x13,
    ";": 0xBA, "=": 0xBB, ",": 0xBC, "-": 0xBD, ".": 0xBE, "/": 0xBF, "`": 0xC0, "[": 0xDB, "\\": 0xDC,
    "]": 0xDD, "'": 0xDE,
}


def windows_hotkey(combination: str) -> tuple[int, int]:
    """"Ctrl+Alt+Space" -> (MOD_CONTROL | MOD_ALT | MOD_NOREPEAT, VK_SPACE); ValueError
    (one sentence) for a combination RegisterHotKey cannot take."""
    modifiers, key = split_combination(combination, MODIFIERS, _MODIFIER_NAMES)
    if key.lower() == "f12":
        raise ValueError("Windows keeps F12 for debuggers, so it cannot be a global key; choose another key.")
    return modifiers | MOD_NOREPEAT, key_code(key, VIRTUAL_KEYS, "Windows")


@dataclass(frozen=True)
class User32:
    """The user32 calls the key's thread makes, as plain callables."""

    make_queue: Callable[[], None]  # PeekMessageW(PM_NOREMOVE): the thread's queue exists
    register: Callable[[int, int, int], int]  # (id, MOD_*, VK) -> 0, else GetLastError()
    unregister: Callable[[int], None]
    get_message: Callable[[], tuple[int, int, int]]  # GetMessageW's result (0: WM_QUIT, -1: error), message, wParam
    post_quit: Callable[[int], bool]  # PostThreadMessageW(thread id, WM_QUIT)


def load_user32() -> User32:
    """user32 through ctypes; OSError where there is none (only Windows has windll)."""
    import ctypes
    from ctypes import wintypes

    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    message = ctypes.POINTER(wintypes.MSG)
    user32.RegisterHotKey.argtypes = (wintypes.HWND, ctypes.c_int, wintypes.UINT, wintypes.UINT)
    user32.UnregisterHotKey.argtypes = (wintypes.HWND, ctypes.c_int)
    user32.GetMessageW.argtypes = (message, wintypes.HWND, wintypes.UINT, wintypes.UINT)
    user32.PeekMessageW.argtypes = (message, wintypes.HWND, wintypes.UINT, wintypes.UINT, wintypes.UINT)
    user32.PostThreadMessageW.argtypes = (wintypes.DWORD, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM)
    for name in ("RegisterHotKey", "UnregisterHotKey", "GetMessageW", "PeekMessageW", "PostThreadMessageW"):
        getattr(user32, name).restype = wintypes.BOOL  # GetMessageW's BOOL may be -1

    def make_queue() -> None:
        user32.PeekMessageW(ctypes.byref(wintypes.MSG()), None, WM_USER, WM_USER, PM_NOREMOVE)

    def register(ident: int, modifiers: int, vk: int) -> int:
        return 0 if user32.RegisterHotKey(None, ident, modifiers, vk) else (ctypes.get_last_error() or -1)

    def get_message() -> tuple[int, int, int]:
        msg = wintypes.MSG()
        result = user32.GetMessageW(ctypes.byref(msg), None, 0, 0)  # the GIL is released while it waits
        return result, msg.message, msg.wParam

    def unregister(ident: int) -> None:
        user32.UnregisterHotKey(None, ident)

    def post_quit(thread: int) -> bool:
        return bool(user32.PostThreadMessageW(thread, WM_QUIT, 0, 0))

    return User32(make_queue=make_queue, register=register, unregister=unregister, get_message=get_message,
                  post_quit=post_quit)


def refusal(combination: str, error: int) -> str:
    """RegisterHotKey's GetLastError() as the one sentence Settings shows."""
    if error == ERROR_HOTKEY_ALREADY_REGISTERED:
        return f"{combination} is already used by another app; choose another key in Settings."
    return f"Windows refused {combination} as a global key (error {error}); choose another key in Settings."


class WindowsShortcut(QObject):
    """RegisterHotKey on a thread of its own; `activated` is queued to the GUI thread,
    where this object lives."""

    activated = Signal()
    failed = Signal(str)

    def __init__(self, combination: str, *, user32: User32 | None = None) -> None:
        super().__init__()
        self.combination = combination
        self.problem = ""
        self._user32 = user32
        self._thread: threading.Thread | None = None
        self._thread_id = 0  # the key's thread, as Windows numbers it (PostThreadMessageW's)
        self._refused = ""

    def start(self) -> str:
        """Register the combination; "" when it works, else one sentence saying why not."""
        try:
            modifiers, vk = windows_hotkey(self.combination)
        except ValueError as problem:
            return str(problem)
        if self._user32 is None:
            try:
                self._user32 = load_user32()
            except (OSError, AttributeError) as problem:
                return f"Could not reach Windows' user32 for a global key ({type(problem).__name__})."
        ready = threading.Event()
        self._refused = ""
        self._thread = threading.Thread(target=self._run, args=(self._user32, modifiers, vk, ready),
                                        name="hearth-global-key", daemon=True)
        self._thread.start()
        if not ready.wait(_JOIN_S):  # RegisterHotKey answers at once; this is a hung system
            self.stop()
            return "Windows did not answer when Hearth asked for a global key; restart Hearth to try again."
        if self._refused:
            self._thread.join(_JOIN_S)
            self._thread = None
            return self._refused
        return ""

    def stop(self) -> None:
        """WM_QUIT to the key's thread, which unregisters the key and ends; join it. Idempotent."""
        if self._thread is None or self._user32 is None:
            return
        if not self._user32.post_quit(self._thread_id) and self._thread.is_alive():
            log.warning("could not post WM_QUIT to the global key's thread")
        self._thread.join(_JOIN_S)
        self._thread = None

    def _run(self, user32: User32, modifiers: int, vk: int, ready: threading.Event) -> None:
        try:
            user32.make_queue()
            self._thread_id = threading.get_native_id()  # GetCurrentThreadId() on Windows
            error = user32.register(HOTKEY_ID, modifiers, vk)
        except Exception as problem:
            log.exception("could not register the global key")
            error = -1
            self._refused = f"Could not register {self.combination} as a global key ({type(problem).__name__})."
        if error:
            self._refused = self._refused or refusal(self.combination, error)
            ready.set()
            return
        ready.set()
        try:
            self._listen(user32)
        except Exception as problem:
            log.exception("the global key stopped listening")
            self.problem = f"The global key stopped working ({type(problem).__name__}); restart Hearth to try again."
            self.failed.emit(self.problem)
        finally:
            user32.unregister(HOTKEY_ID)  # here: a hot key belongs to the thread that registered it

    def _listen(self, user32: User32) -> None:
        while True:
            result, message, wparam = user32.get_message()
            if result == 0:  # WM_QUIT, from stop()
                return
            if result == -1:
                raise OSError("GetMessageW failed")
            if message == WM_HOTKEY and wparam == HOTKEY_ID:  # not IDHOT_SNAPDESKTOP/-WINDOW (system keys)
                self.activated.emit()
