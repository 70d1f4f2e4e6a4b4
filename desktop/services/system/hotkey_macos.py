"""Quick Ask's global key on macOS: Carbon's RegisterEventHotKey, through ctypes.

Carbon's hot keys are still the way to a global key that needs no Accessibility
permission (an event tap would); QHotkey (src/qhotkey_mac.cpp) and glyph's
QuickMacHotKey use them the same way. An event handler for kEventClassKeyboard /
kEventHotKeyPressed is installed on GetApplicationEventTarget(); Qt's Cocoa event loop
dispatches Carbon events on the main thread, so no thread is needed and `activated` is
emitted where this object lives. `stop()` calls UnregisterEventHotKey and
RemoveEventHandler. kEventHotKeyExclusive makes a combination another app holds the
same way fail with eventHotKeyExistsErr (-9878), which `start()` says in one sentence.

Modifiers follow Qt, whose names Settings writes: on macOS Qt's "Ctrl" is the Command
key and "Meta" the Control key (the Qt::KeyboardModifier documentation; QHotkey maps
them the same way), "Alt" is Option. Keys are the kVK_* virtual key codes of HIToolbox's
Events.h, which name positions on the ANSI (US) keyboard. macOS 15.0 and 15.1 refuse hot
keys whose only modifiers are Option and Shift (Apple: "an intentional change in macOS
Sequoia", developer forums thread 763878); 15.2 allows them again.

The Carbon calls are a small object of plain callables (`Carbon`), made with ctypes by
`load_carbon()` on macOS only, so tests elsewhere drive the handler with fakes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.services.system.hotkey_keys import key_code, split_combination

__all__ = ["KEY_CODES", "MODIFIERS", "Carbon", "MacShortcut", "load_carbon", "mac_hotkey"]

log = logging.getLogger(__name__)
CMD_KEY, SHIFT_KEY, OPTION_KEY, CONTROL_KEY = 0x0100, 0x0200, 0x0800, 0x1000  # Events.h: 1 << 8, 9, 11, 12
K_EVENT_CLASS_KEYBOARD = int.from_bytes(b"keyb", "big")  # OSTypes are four characters, big-endian
K_EVENT_HOTKEY_PRESSED = 5
K_EVENT_PARAM_DIRECT_OBJECT = int.from_bytes(b"----", "big")
TYPE_EVENT_HOTKEY_ID = int.from_bytes(b"hkid", "big")
K_EVENT_HOTKEY_EXCLUSIVE = 1 << 0
NO_ERR, EVENT_NOT_HANDLED_ERR, EVENT_HOTKEY_EXISTS_ERR = 0, -9874, -9878
SIGNATURE = int.from_bytes(b"HRTH", "big")  # EventHotKeyID.signature: Hearth's keys
CARBON = "/System/Library/Frameworks/Carbon.framework/Carbon"  # in the dyld cache since macOS 11; dlopen finds it

MODIFIERS = {"ctrl": CMD_KEY, "cmd": CMD_KEY, "command": CMD_KEY, "alt": OPTION_KEY, "option": OPTION_KEY,
             "shift": SHIFT_KEY, "meta": CONTROL_KEY}
_MODIFIER_NAMES = "Command, Option, Control or Shift"

# Qt's key names, lower case -> kVK_* (Events.h; ANSI layout for letters, digits, punctuation)
KEY_CODES: dict[str, int] = {
    "a": 0x00, "s": 0x01, "d": 0x02, "f": 0x03, "h": 0x04, "g": 0x05, "z": 0x06, "x": 0x07, "c": 0x08, "v": 0x09,
    "b": 0x0B, "q": 0x0C, "w": 0x0D, "e": 0x0E, "r": 0x0F, "y": 0x10, "t": 0x11, "o": 0x1F, "u": 0x20, "i": 0x22,
    "p": 0x23, "l": 0x25, "j": 0x26, "k": 0x28, "n": 0x2D, "m": 0x2E,
    "1": 0x12, "2": 0x13, "3": 0x14, "4": 0x15, "6": 0x16, "5": 0x17, "9": 0x19, "7": 0x1A, "8": 0x1C, "0": 0x1D,
    "=": 0x18, "-": 0x1B, "]": 0x1E, "[": 0x21, "'": 0x27, ";": 0x29, "\\": 0x2A, ",": 0x2B, "/": 0x2C, ".": 0x2F,
    "`": 0x32,
    "return": 0x24, "tab": 0x30, "space": 0x31, "backspace": 0x33, "esc": 0x35, "escape": 0x35,
    "enter": 0x4C,  # kVK_ANSI_KeypadEnter: Qt's "Enter" is the keypad's
    "help": 0x72, "home": 0x73, "pgup": 0x74, "del": 0x75, "delete": 0x75, "end": 0x77, "pgdown": 0x79,
    "left": 0x7B, "right": 0x7C, "down": 0x7D, "up": 0x7E,
    "f1": 0x7A, "f2": 0x78, "f3": 0x63, "f4": 0x76, "f5": 0x60, "f6": 0x61, "f7": 0x62, "f8": 0x64, "f9": 0x65,
    "f10": 0x6D, "f11": 0x67, "f12": 0x6F, "f13": 0x69, "f14": 0x6B, "f15": 0x71, "f16": 0x6A, "f17": 0x40,
    "f18": 0x4F, "f19": 0x50, "f20": 0x5A,
}
_ids = itertools.count(1)


def mac_hotkey(combination: str) -> tuple[int, int]:
    """"Alt+Space" -> (optionKey, kVK_Space); ValueError (one sentence) for a combination
    RegisterEventHotKey cannot take."""
    modifiers, key = split_combination(combination, MODIFIERS, _MODIFIER_NAMES)
    return modifiers, key_code(key, KEY_CODES, "macOS")


@dataclass(frozen=True)
class Carbon:
    """The Carbon calls the key makes, as plain callables."""

    install_handler: Callable[[Callable[[Any], int]], tuple[int, Any]]  # on_event -> (OSStatus, handle)
    remove_handler: Callable[[Any], int]
    register: Callable[[int, int, int], tuple[int, Any]]  # (kVK, modifiers, id) -> (OSStatus, EventHotKeyRef)
    unregister: Callable[[Any], int]
    hotkey_id: Callable[[Any], tuple[int, int, int]]  # EventRef -> (OSStatus, signature, id)


def load_carbon() -> Carbon:
    """Carbon.framework through ctypes; OSError where there is none (only macOS has it)."""
    import ctypes

    class EventTypeSpec(ctypes.Structure):
        _fields_ = (("eventClass", ctypes.c_uint32), ("eventKind", ctypes.c_uint32))

    class EventHotKeyID(ctypes.Structure):
        _fields_ = (("signature", ctypes.c_uint32), ("id", ctypes.c_uint32))

    carbon = ctypes.CDLL(CARBON)
    handler_proc = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
    out_ref, void = ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p
    carbon.GetApplicationEventTarget.argtypes, carbon.GetApplicationEventTarget.restype = (), void
    carbon.InstallEventHandler.argtypes = (void, handler_proc, ctypes.c_ulong, ctypes.POINTER(EventTypeSpec), void,
                                           out_ref)
    carbon.RemoveEventHandler.argtypes = (void,)
    carbon.RegisterEventHotKey.argtypes = (ctypes.c_uint32, ctypes.c_uint32, EventHotKeyID, void, ctypes.c_uint32,
                                           out_ref)
    carbon.UnregisterEventHotKey.argtypes = (void,)
    carbon.GetEventParameter.argtypes = (void, ctypes.c_uint32, ctypes.c_uint32, void, ctypes.c_ulong, void,
                                         ctypes.POINTER(EventHotKeyID))
    for name in ("InstallEventHandler", "RemoveEventHandler", "RegisterEventHotKey", "UnregisterEventHotKey",
                 "GetEventParameter"):
        getattr(carbon, name).restype = ctypes.c_int32  # OSStatus

    def install_handler(on_event: Callable[[Any], int]) -> tuple[int, Any]:
        proc = handler_proc(lambda _call, event, _data: on_event(event))
        spec, handler = EventTypeSpec(K_EVENT_CLASS_KEYBOARD, K_EVENT_HOTKEY_PRESSED), ctypes.c_void_p()
        status = carbon.InstallEventHandler(carbon.GetApplicationEventTarget(), proc, 1, ctypes.byref(spec), None,
                                            ctypes.byref(handler))
        return status, (handler, proc)  # the handle keeps the C callback alive as long as Carbon may call it

    def register(code: int, modifiers: int, ident: int) -> tuple[int, Any]:
        hotkey = ctypes.c_void_p()
        status = carbon.RegisterEventHotKey(code, modifiers, EventHotKeyID(SIGNATURE, ident),
                                            carbon.GetApplicationEventTarget(), K_EVENT_HOTKEY_EXCLUSIVE,
                                            ctypes.byref(hotkey))
        return status, hotkey

    def hotkey_id(event: Any) -> tuple[int, int, int]:
        found = EventHotKeyID()
        status = carbon.GetEventParameter(event, K_EVENT_PARAM_DIRECT_OBJECT, TYPE_EVENT_HOTKEY_ID, None,
                                          ctypes.sizeof(found), None, ctypes.byref(found))
        return status, found.signature, found.id

    return Carbon(install_handler=install_handler, remove_handler=lambda handle: carbon.RemoveEventHandler(handle[0]),
                  register=register, unregister=carbon.UnregisterEventHotKey, hotkey_id=hotkey_id)


def refusal(combination: str, status: int, modifiers: int) -> str:
    """RegisterEventHotKey's OSStatus as the one sentence Settings shows."""
    if status == EVENT_HOTKEY_EXISTS_ERR:
        return f"{combination} is already used by another app; choose another key in Settings."
    if not modifiers & ~(OPTION_KEY | SHIFT_KEY):
        return (f"macOS refused {combination} (error {status}): macOS 15.0 and 15.1 allow no global key with only "
                "Option or Shift; add Command or Control in Settings, or update macOS.")
    return f"macOS refused {combination} as a global key (error {status}); choose another key in Settings."


class MacShortcut(QObject):
    """A Carbon hot key and its handler, both on the main thread, where this object lives."""

    activated = Signal()
    failed = Signal(str)  # never emitted: Carbon has no later failure to report; here for the common surface

    def __init__(self, combination: str, *, carbon: Carbon | None = None) -> None:
        super().__init__()
        self.combination = combination
        self.problem = ""
        self._carbon = carbon
        self._id = next(_ids)  # a replaced key's late event is not this one's
        self._handler: Any = None
        self._hotkey: Any = None

    def start(self) -> str:
        """Register the combination; "" when it works, else one sentence saying why not."""
        try:
            modifiers, code = mac_hotkey(self.combination)
        except ValueError as problem:
            return str(problem)
        if self._carbon is None:
            try:
                self._carbon = load_carbon()
            except (OSError, AttributeError) as problem:
                return f"Could not reach macOS's Carbon framework for a global key ({type(problem).__name__})."
        status, handler = self._carbon.install_handler(self._on_event)
        if status != NO_ERR:
            return f"macOS refused Hearth's handler for a global key (error {status}); restart Hearth to try again."
        status, hotkey = self._carbon.register(code, modifiers, self._id)
        if status != NO_ERR:
            self._carbon.remove_handler(handler)
            return refusal(self.combination, status, modifiers)
        self._handler, self._hotkey = handler, hotkey
        return ""

    def stop(self) -> None:
        """Unregister the hot key and remove the handler. Idempotent."""
        if self._carbon is None or self._handler is None:
            return
        self._carbon.unregister(self._hotkey)
        self._carbon.remove_handler(self._handler)
        self._handler = self._hotkey = None

    def _on_event(self, event: Any) -> int:
        """Carbon's call, on the main thread. Another hot key's event goes on to the next
        handler (eventNotHandledErr, CarbonEventsCore.h); nothing may raise into C."""
        try:
            status, signature, ident = self._carbon.hotkey_id(event) if self._carbon else (EVENT_NOT_HANDLED_ERR, 0, 0)
            if status == NO_ERR and (signature, ident) == (SIGNATURE, self._id) and self._handler is not None:
                self.activated.emit()
                return NO_ERR
        except Exception:
            log.exception("the global key's handler failed")
        return EVENT_NOT_HANDLED_ERR
