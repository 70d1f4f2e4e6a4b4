"""Quitting the real app (`hearth` on Xvfb) is clean however it happens: idle with
Ctrl+Q, while an answer streams with the window's close button, during the prefill of a
long prompt with SIGTERM (a logout). Each time the process exits 0 and prints no
traceback and no fatal error (faulthandler is on, so a crash would print its stack).

A crash at quit ("Fatal Python error: bool_dealloc" / "none_dealloc") came from
PySide6 6.12.0, which dropped a reference to True on every `Signal.emit()` and one to
None on every call returning nothing: it takes a long session to free True or None, so
tests/gui/test_qt_binding.py checks the binding itself; this checks the quit paths."""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests_helpers import started_process, visible_window, wait_for

LONG_QUESTION = "Count from 1 to 500, one number per line."
LONG_PROMPT = "Summarise this text. " + " ".join(f"word{i} lorem ipsum dolor sit amet" for i in range(300))


def _xdotool(env: dict, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=env, check=True, capture_output=True)


def _loaded(env: dict, window: str) -> bool:
    """The title names the model once it is loaded ("Hearth — <model>")."""
    title = subprocess.run(["xdotool", "getwindowname", window], env=env, capture_output=True, text=True).stdout
    return "—" in title


def _close_button(env: dict, window: str) -> None:
    """What a window manager's close button sends: WM_DELETE_WINDOW (Xvfb runs none)."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]

    class ClientMessage(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]

    class XEvent(ctypes.Union):
        _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]

    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(env["DISPLAY"].encode())
    assert display, "cannot open the X display"
    event = XEvent()
    event.xclient.type = 33  # ClientMessage
    event.xclient.window = int(window)
    event.xclient.message_type = x11.XInternAtom(display, b"WM_PROTOCOLS", 0)
    event.xclient.format = 32
    event.xclient.data[0] = x11.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
    x11.XSendEvent(display, int(window), 0, 0, ctypes.byref(event))
    x11.XFlush(display)
    x11.XCloseDisplay(display)


@pytest.mark.model
@pytest.mark.parametrize("when", ["idle", "answering", "prefill"])
def test_quitting_is_clean(xserver, cli_home, tmp_path, when):
    env = dict(xserver, HEARTH_HOME=str(cli_home), PYTHONFAULTHANDLER="1")
    log = tmp_path / "hearth.log"
    with started_process([str(Path(sys.executable).with_name("hearth"))], env=env, log=log) as app:
        window = wait_for(lambda: visible_window(env, "^Hearth"), 60, "the Hearth window")
        wait_for(lambda: subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env,
                                        capture_output=True).returncode == 0, 20, "the keyboard focus")
        wait_for(lambda: _loaded(env, window), 60, "the model to load")
        if when == "idle":
            _xdotool(env, "key", "ctrl+q")  # keys through XTEST, as a keyboard types them
        elif when == "answering":
            _xdotool(env, "type", "--delay", "5", LONG_QUESTION)
            _xdotool(env, "key", "Return")
            time.sleep(1.5)  # tokens are streaming
            _close_button(env, window)
        else:
            subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=LONG_PROMPT, text=True, env=env,
                           check=True)
            _xdotool(env, "key", "ctrl+v")
            _xdotool(env, "key", "Return")
            time.sleep(0.5)  # llama.cpp is taking in ~2,400 prompt tokens
            app.send_signal(signal.SIGTERM)
        status = app.wait(60)
    output = log.read_text(errors="replace")
    assert status == 0, output[-3000:]
    assert "Fatal Python error" not in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
