"""Quick Ask's key on macOS: Carbon's RegisterEventHotKey and a hot key event handler.

macOS cannot run here (Linux): Carbon.framework is never loaded (one test checks that
Hearth says so in a sentence instead). What runs is everything around the platform
calls: the kVK_* table (checked against codes typed from HIToolbox's Events.h, not
copied from the module), Qt's modifier names (on macOS Qt's "Ctrl" is Command and "Meta"
is Control), the reading of every combination Settings can write, and the handler's
logic, driven through Carbon's calls replaced by plain Python callables: only Hearth's
own hot key emits `activated`, another goes on to the next handler, a taken combination
becomes one sentence, stop() unregisters the key and removes the handler. Whether the
real Carbon calls and Qt's Cocoa event loop behave as documented is not tried here.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from desktop.services.system.hotkey_macos import (
    CMD_KEY,
    CONTROL_KEY,
    EVENT_NOT_HANDLED_ERR,
    KEY_CODES,
    OPTION_KEY,
    SHIFT_KEY,
    SIGNATURE,
    Carbon,
    MacShortcut,
    mac_hotkey,
)

# From Events.h (HIToolbox) and Carbon's modifier bits (typed in here, so a wrong table fails)
EVENTS_H = {"A": 0x00, "S": 0x01, "Q": 0x0C, "T": 0x11, "O": 0x1F, "K": 0x28, "M": 0x2E, "1": 0x12, "5": 0x17,
            "6": 0x16, "0": 0x1D, "=": 0x18, "-": 0x1B, "]": 0x1E, "[": 0x21, "'": 0x27, ";": 0x29, "\\": 0x2A,
            ",": 0x2B, "/": 0x2C, ".": 0x2F, "`": 0x32, "Return": 0x24, "Tab": 0x30, "Space": 0x31,
            "Backspace": 0x33, "Esc": 0x35, "Enter": 0x4C, "Help": 0x72, "Home": 0x73, "PgUp": 0x74, "Del": 0x75,
            "End": 0x77, "PgDown": 0x79, "Left": 0x7B, "Right": 0x7C, "Down": 0x7D, "Up": 0x7E, "F1": 0x7A,
            "F2": 0x78, "F5": 0x60, "F12": 0x6F, "F16": 0x6A, "F17": 0x40, "F20": 0x5A}
K = Qt.Key
M = Qt.KeyboardModifier
SETTINGS_KEYS = [K.Key_Space, K.Key_Return, K.Key_Enter, K.Key_Tab, K.Key_Backspace, K.Key_Escape, K.Key_Delete,
                 K.Key_Home, K.Key_End, K.Key_PageUp, K.Key_PageDown, K.Key_Left, K.Key_Up, K.Key_Right, K.Key_Down,
                 K.Key_Help, K.Key_Comma, K.Key_Period, K.Key_Slash, K.Key_Semicolon, K.Key_Apostrophe,
                 K.Key_BracketLeft, K.Key_BracketRight, K.Key_Backslash, K.Key_Minus, K.Key_Equal, K.Key_QuoteLeft,
                 K.Key_Plus, K.Key_Exclam,
                 *[K(K.Key_A.value + i) for i in range(26)], *[K(K.Key_0.value + i) for i in range(10)],
                 *[K(K.Key_F1.value + i) for i in range(20)]]


def written_by_settings(key: Qt.Key, modifiers: M = M.AltModifier) -> str:
    """The text Settings stores for a key it recorded (QKeySequenceEdit, PortableText)."""
    return QKeySequence(modifiers | key).toString(QKeySequence.SequenceFormat.PortableText)


def test_option_space_and_qts_names_for_the_mac_modifiers():
    assert mac_hotkey("Alt+Space") == (OPTION_KEY, 0x31)  # Option+Space; kVK_Space
    assert mac_hotkey("alt+SPACE") == mac_hotkey(" Alt + Space ") == mac_hotkey("Option+Space")
    assert (OPTION_KEY, SHIFT_KEY, CMD_KEY, CONTROL_KEY) == (0x0800, 0x0200, 0x0100, 0x1000)  # Events.h bits
    assert mac_hotkey(written_by_settings(K.Key_Space, M.ControlModifier | M.AltModifier)) == (CMD_KEY | OPTION_KEY,
                                                                                              0x31)
    assert mac_hotkey("Meta+Shift+K") == (CONTROL_KEY | SHIFT_KEY, 0x28)  # Qt's Meta is the Control key
    assert mac_hotkey("Cmd+Q") == mac_hotkey("Command+Q") == mac_hotkey("Ctrl+Q") == (CMD_KEY, 0x0C)
    assert mac_hotkey("Ctrl++") == (CMD_KEY, 0x18)  # the plus key, as Qt writes it: kVK_ANSI_Equal


def test_every_key_settings_can_record_maps_to_its_kvk_code():
    for key in SETTINGS_KEYS:
        text = written_by_settings(key)
        modifiers, code = mac_hotkey(text)
        assert modifiers == OPTION_KEY, text
        name = text.removeprefix("Alt+")
        if name in EVENTS_H:
            assert code == EVENTS_H[name], text
    for name, code in EVENTS_H.items():
        assert mac_hotkey(f"Ctrl+{name}")[1] == code, name


def test_the_table_gives_each_key_its_own_code():
    by_code: dict[int, list[str]] = {}
    for name, code in KEY_CODES.items():
        by_code.setdefault(code, []).append(name)
    shared = {tuple(sorted(names)) for names in by_code.values() if len(names) > 1}
    assert shared == {("esc", "escape"), ("del", "delete")}
    assert len([name for name in KEY_CODES if len(name) == 1 and name.isalpha()]) == 26


@pytest.mark.parametrize(("text", "sentence"), [
    ("Space", "“Space” needs a modifier (Command, Option, Control or Shift) and a key."),
    ("Hyper+Space", "“Hyper” is not a modifier (Command, Option, Control or Shift)."),
    ("Alt+Ins", "“Ins” cannot be a global key on macOS; choose a letter, a digit, a function key, Space or "
                "another named key."),
    ("Alt+F21", "“F21” cannot be a global key on macOS; choose a letter, a digit, a function key, Space or "
                "another named key."),
])
def test_what_cannot_be_registered_says_why_in_one_sentence(text, sentence):
    with pytest.raises(ValueError) as refused:
        mac_hotkey(text)
    assert str(refused.value) == sentence


class FakeCarbon:
    """Carbon's calls as plain callables; `press` calls the installed handler as Qt's
    Cocoa event loop would, with an event that carries `hotkey`'s EventHotKeyID."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.handlers: dict[str, object] = {}  # handle -> the handler Carbon would call
        self.hotkeys: dict[str, tuple[int, int, int]] = {}  # EventHotKeyRef -> (kVK, modifiers, id)
        self.calls: list[str] = []

    def api(self) -> Carbon:
        return Carbon(install_handler=self._install, remove_handler=self._remove, register=self._register,
                      unregister=self._unregister, hotkey_id=lambda event: (0, *event))

    def press(self, signature: int, ident: int) -> list[int]:
        return [handler((signature, ident)) for handler in self.handlers.values()]

    def _install(self, on_event: object) -> tuple[int, str]:
        self.calls.append("install")
        handle = f"handler-{len(self.calls)}"
        self.handlers[handle] = on_event
        return 0, handle

    def _remove(self, handle: str) -> int:
        self.calls.append("remove")
        del self.handlers[handle]
        return 0

    def _register(self, code: int, modifiers: int, ident: int) -> tuple[int, str | None]:
        self.calls.append("register")
        if self.refuse:
            return self.refuse, None
        ref = f"hotkey-{len(self.calls)}"
        self.hotkeys[ref] = (code, modifiers, ident)
        return 0, ref

    def _unregister(self, ref: str) -> int:
        self.calls.append("unregister")
        del self.hotkeys[ref]
        return 0


def test_its_own_hot_key_activates_and_stop_lets_go(qtbot):
    carbon = FakeCarbon()
    shortcut = MacShortcut("Alt+Space", carbon=carbon.api())
    assert shortcut.start() == ""
    ((code, modifiers, ident),) = carbon.hotkeys.values()
    assert (code, modifiers) == (0x31, OPTION_KEY)
    with qtbot.waitSignal(shortcut.activated, timeout=1_000):
        assert carbon.press(SIGNATURE, ident) == [0]  # noErr: handled
    with qtbot.assertNotEmitted(shortcut.activated):
        assert carbon.press(SIGNATURE, ident + 1000) == [EVENT_NOT_HANDLED_ERR]  # another of Hearth's keys
        assert carbon.press(int.from_bytes(b"Othr", "big"), ident) == [EVENT_NOT_HANDLED_ERR]  # another app's
    shortcut.stop()
    assert carbon.calls == ["install", "register", "unregister", "remove"]
    assert not carbon.hotkeys and not carbon.handlers
    shortcut.stop()  # idempotent
    assert carbon.calls == ["install", "register", "unregister", "remove"]


def test_two_keys_in_turn_have_their_own_ids(qtbot):
    carbon = FakeCarbon()
    first, second = MacShortcut("Alt+Space", carbon=carbon.api()), MacShortcut("Alt+K", carbon=carbon.api())
    assert first.start() == ""
    ((_, _, old),) = carbon.hotkeys.values()
    first.stop()
    assert second.start() == ""
    ((_, _, new),) = carbon.hotkeys.values()
    assert old != new
    with qtbot.assertNotEmitted(second.activated):
        carbon.press(SIGNATURE, old)
    second.stop()


@pytest.mark.parametrize(("status", "combination", "sentence"), [
    (-9878, "Alt+Space", "Alt+Space is already used by another app; choose another key in Settings."),
    (-9868, "Alt+Shift+K", "macOS refused Alt+Shift+K (error -9868): macOS 15.0 and 15.1 allow no global key with "
                           "only Option or Shift; add Command or Control in Settings, or update macOS."),
    (-50, "Ctrl+Alt+K", "macOS refused Ctrl+Alt+K as a global key (error -50); choose another key in Settings."),
])
def test_a_refused_registration_is_one_sentence_and_removes_the_handler(status, combination, sentence):
    carbon = FakeCarbon(refuse=status)
    shortcut = MacShortcut(combination, carbon=carbon.api())
    assert shortcut.start() == sentence
    assert carbon.calls == ["install", "register", "remove"] and not carbon.handlers
    shortcut.stop()
    assert carbon.calls == ["install", "register", "remove"]


def test_an_unusable_combination_never_reaches_carbon():
    carbon = FakeCarbon()
    assert MacShortcut("Space", carbon=carbon.api()).start().startswith("“Space” needs a modifier")
    assert carbon.calls == []


def test_off_macos_there_is_no_carbon_and_start_says_so():
    shortcut = MacShortcut("Alt+Space")  # the real ctypes layer, loaded only now
    assert shortcut.start() == "Could not reach macOS's Carbon framework for a global key (OSError)."
