"""Quick Ask's key on Windows: RegisterHotKey with hWnd NULL on a thread of its own.

Windows cannot run here (Linux): user32 is never loaded (ctypes has no windll here, and
one test checks that Hearth says so in a sentence instead). What runs is everything
around the platform calls: the virtual-key table (checked against codes typed from
Microsoft's "Virtual-Key Codes" page, not copied from the module), the reading of every
combination Settings can write, and the key's thread, driven through user32's calls
replaced by plain Python callables over a fake message queue: WM_HOTKEY emits
`activated` on the GUI thread, WM_QUIT ends the thread, UnregisterHotKey is called on
the thread that registered, ERROR_HOTKEY_ALREADY_REGISTERED becomes one sentence. Whether
the real user32 behaves as its documentation says is not tried here.
"""

from __future__ import annotations

import queue
import threading

import pytest
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QKeySequence

from desktop.services.system.hotkey_windows import (
    HOTKEY_ID,
    MOD_ALT,
    MOD_CONTROL,
    MOD_NOREPEAT,
    MOD_SHIFT,
    MOD_WIN,
    VIRTUAL_KEYS,
    WM_HOTKEY,
    WM_QUIT,
    User32,
    WindowsShortcut,
    windows_hotkey,
)

# From learn.microsoft.com "Virtual-Key Codes" (typed in here, so a wrong table fails)
MICROSOFT = {"Space": 0x20, "Return": 0x0D, "Enter": 0x0D, "Tab": 0x09, "Backspace": 0x08, "Esc": 0x1B,
             "Ins": 0x2D, "Del": 0x2E, "Home": 0x24, "End": 0x23, "PgUp": 0x21, "PgDown": 0x22, "Left": 0x25,
             "Up": 0x26, "Right": 0x27, "Down": 0x28, "Print": 0x2C, "Pause": 0x13, "A": 0x41, "K": 0x4B, "Z": 0x5A,
             "0": 0x30, "9": 0x39, "F1": 0x70, "F11": 0x7A, "F13": 0x7C, "F24": 0x87, ";": 0xBA, "=": 0xBB,
             ",": 0xBC, "-": 0xBD, ".": 0xBE, "/": 0xBF, "`": 0xC0, "[": 0xDB, "\\": 0xDC, "]": 0xDD, "'": 0xDE}
K = Qt.Key
SETTINGS_KEYS = [K.Key_Space, K.Key_Return, K.Key_Enter, K.Key_Tab, K.Key_Backspace, K.Key_Escape, K.Key_Insert,
                 K.Key_Delete, K.Key_Home, K.Key_End, K.Key_PageUp, K.Key_PageDown, K.Key_Left, K.Key_Up, K.Key_Right,
                 K.Key_Down, K.Key_Print, K.Key_Pause, K.Key_Comma, K.Key_Period, K.Key_Slash, K.Key_Semicolon,
                 K.Key_Apostrophe, K.Key_BracketLeft, K.Key_BracketRight, K.Key_Backslash, K.Key_Minus, K.Key_Equal,
                 K.Key_QuoteLeft, K.Key_Plus, K.Key_Exclam,
                 *[K(K.Key_A.value + i) for i in range(26)], *[K(K.Key_0.value + i) for i in range(10)],
                 *[K(K.Key_F1.value + i) for i in range(24) if i != 11]]


def written_by_settings(key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.ControlModifier
                        | Qt.KeyboardModifier.AltModifier) -> str:
    """The text Settings stores for a key it recorded (QKeySequenceEdit, PortableText)."""
    return QKeySequence(modifiers | key).toString(QKeySequence.SequenceFormat.PortableText)


def test_the_default_combination_and_the_modifiers():
    assert windows_hotkey("Ctrl+Alt+Space") == (MOD_CONTROL | MOD_ALT | MOD_NOREPEAT, 0x20)
    assert windows_hotkey("ctrl+ALT+space") == windows_hotkey(" Ctrl + Alt + Space ")  # case and spaces
    assert windows_hotkey(written_by_settings(K.Key_K, Qt.KeyboardModifier.MetaModifier
                                              | Qt.KeyboardModifier.ShiftModifier)) == (
        MOD_WIN | MOD_SHIFT | MOD_NOREPEAT, 0x4B)  # Qt's Meta is the Windows key
    assert windows_hotkey("Win+Shift+K") == windows_hotkey("Meta+Shift+K")
    assert windows_hotkey("Ctrl++") == (MOD_CONTROL | MOD_NOREPEAT, 0xBB)  # the plus key, as Qt writes it
    assert windows_hotkey("Ctrl+Shift+!") == (MOD_CONTROL | MOD_SHIFT | MOD_NOREPEAT, 0x31)  # US layout


def test_every_key_settings_can_record_maps_to_microsofts_code():
    for key in SETTINGS_KEYS:
        text = written_by_settings(key)
        modifiers, vk = windows_hotkey(text)
        assert modifiers == MOD_CONTROL | MOD_ALT | MOD_NOREPEAT, text
        name = text.removeprefix("Ctrl+Alt+")
        if name in MICROSOFT:
            assert vk == MICROSOFT[name], text
    for name, vk in MICROSOFT.items():
        assert windows_hotkey(f"Ctrl+{name}")[1] == vk, name


def test_the_table_gives_each_key_its_own_code():
    aliases = {("enter", "return"), ("esc", "escape"), ("ins", "insert"), ("del", "delete")}
    by_code: dict[int, list[str]] = {}
    for name, vk in VIRTUAL_KEYS.items():
        by_code.setdefault(vk, []).append(name)
    shared = {tuple(sorted(names)) for names in by_code.values() if len(names) > 1}
    assert shared == aliases


@pytest.mark.parametrize(("text", "sentence"), [
    ("Space", "“Space” needs a modifier (Ctrl, Alt, Shift or Win) and a key."),
    ("", "“” needs a modifier (Ctrl, Alt, Shift or Win) and a key."),
    ("Ctrl+", "“Ctrl+” needs a modifier (Ctrl, Alt, Shift or Win) and a key."),
    ("Hyper+Space", "“Hyper” is not a modifier (Ctrl, Alt, Shift or Win)."),
    ("Ctrl+Alt+Menu", "“Menu” cannot be a global key on Windows; choose a letter, a digit, a function key, Space "
                      "or another named key."),
    ("Ctrl+Alt+F25", "“F25” cannot be a global key on Windows; choose a letter, a digit, a function key, Space "
                     "or another named key."),
    ("Ctrl+Alt+F12", "Windows keeps F12 for debuggers, so it cannot be a global key; choose another key."),
])
def test_what_cannot_be_registered_says_why_in_one_sentence(text, sentence):
    with pytest.raises(ValueError) as refused:
        windows_hotkey(text)
    assert str(refused.value) == sentence


class FakeUser32:
    """user32's calls over a queue that stands for the key thread's message queue. Each
    call is recorded with the thread that made it."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.messages: queue.Queue[tuple[int, int, int]] = queue.Queue()
        self.calls: list[tuple[str, int, str]] = []
        self.registered: tuple[int, int, int] | None = None

    def api(self) -> User32:
        return User32(make_queue=lambda: self._call("make_queue"), register=self._register,
                      unregister=lambda ident: self._call("unregister", ident), get_message=self._get_message,
                      post_quit=self._post_quit)

    def press(self, wparam: int = HOTKEY_ID) -> None:
        self.messages.put((1, WM_HOTKEY, wparam))

    def threads(self, name: str) -> set[int]:
        return {thread for call, thread, _ in self.calls if call == name}

    def _call(self, name: str, ident: int | None = None) -> None:
        assert ident in (None, HOTKEY_ID)
        self.calls.append((name, threading.get_native_id(), threading.current_thread().name))

    def _register(self, ident: int, modifiers: int, vk: int) -> int:
        self._call("register", ident)
        self.registered = (ident, modifiers, vk)
        return self.refuse

    def _get_message(self) -> tuple[int, int, int]:
        self._call("get_message")
        return self.messages.get(timeout=10)  # a thread nobody wakes fails the test instead of hanging it

    def _post_quit(self, thread: int) -> bool:
        self._call("post_quit")
        if thread not in self.threads("make_queue"):
            return False  # PostThreadMessageW to a thread without our queue fails
        self.messages.put((0, WM_QUIT, 0))
        return True


class Receiver(QObject):
    """Stands for Companion: a QObject of the GUI thread whose slot records where it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[threading.Thread] = []

    @Slot()
    def hit(self) -> None:
        self.threads.append(threading.current_thread())


def key_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "hearth-global-key"]


def test_wm_hotkey_activates_on_the_gui_thread_and_wm_quit_ends_the_keys_thread(qtbot):
    fake, receiver = FakeUser32(), Receiver()
    shortcut = WindowsShortcut("Ctrl+Alt+Space", user32=fake.api())
    shortcut.activated.connect(receiver.hit)
    assert shortcut.start() == ""
    try:
        assert fake.registered == (HOTKEY_ID, MOD_CONTROL | MOD_ALT | MOD_NOREPEAT, 0x20)
        fake.press(wparam=-2)  # IDHOT_SNAPDESKTOP: the system's hot key, not Hearth's
        fake.messages.put((1, 0x0100, 0))  # WM_KEYDOWN: not a hot key at all
        with qtbot.waitSignal(shortcut.activated, timeout=5_000):
            fake.press()
        qtbot.waitUntil(lambda: len(receiver.threads) == 1, timeout=5_000)
    finally:
        shortcut.stop()
    assert receiver.threads == [threading.main_thread()]  # only Hearth's key, delivered to the GUI thread
    calls = [call for call, _, _ in fake.calls]
    assert calls[:3] == ["make_queue", "register", "get_message"] and calls[-1] == "unregister"
    (worker,) = fake.threads("register")
    assert fake.threads("unregister") == fake.threads("get_message") == fake.threads("make_queue") == {worker}
    assert worker != threading.get_native_id()
    assert {name for call, _, name in fake.calls if call == "register"} == {"hearth-global-key"}
    assert fake.threads("post_quit") == {threading.get_native_id()}  # stop() posts from the GUI thread
    assert not key_threads()  # joined
    shortcut.stop()  # idempotent
    assert calls.count("unregister") == 1


@pytest.mark.parametrize(("error", "sentence"), [
    (1409, "Ctrl+Alt+Space is already used by another app; choose another key in Settings."),
    (5, "Windows refused Ctrl+Alt+Space as a global key (error 5); choose another key in Settings."),
])
def test_a_refused_registration_is_one_sentence_and_leaves_no_thread(error, sentence):
    fake = FakeUser32(refuse=error)
    shortcut = WindowsShortcut("Ctrl+Alt+Space", user32=fake.api())
    assert shortcut.start() == sentence
    assert not key_threads()
    assert [call for call, _, _ in fake.calls] == ["make_queue", "register"]  # nothing to unregister
    shortcut.stop()
    assert [call for call, _, _ in fake.calls] == ["make_queue", "register"]


def test_an_unusable_combination_never_reaches_user32():
    fake = FakeUser32()
    assert WindowsShortcut("Ctrl+Alt+F12", user32=fake.api()).start().startswith("Windows keeps F12")
    assert fake.calls == [] and not key_threads()


@pytest.mark.allow_error_log
def test_a_broken_message_loop_says_so_and_still_unregisters(qtbot):
    fake = FakeUser32()
    shortcut = WindowsShortcut("Ctrl+Alt+Space", user32=fake.api())
    assert shortcut.start() == ""
    try:
        with qtbot.waitSignal(shortcut.failed, timeout=5_000) as failed:
            fake.messages.put((-1, 0, 0))  # GetMessageW's -1
    finally:
        shortcut.stop()
    assert failed.args == [shortcut.problem]
    assert shortcut.problem == "The global key stopped working (OSError); restart Hearth to try again."
    assert fake.threads("unregister") == fake.threads("register")


def test_off_windows_there_is_no_user32_and_start_says_so():
    shortcut = WindowsShortcut("Ctrl+Alt+Space")  # the real ctypes layer, loaded only now
    assert shortcut.start() == "Could not reach Windows' user32 for a global key (AttributeError)."
    assert not key_threads()
