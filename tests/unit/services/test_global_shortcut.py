"""The Quick Ask key: what a combination means to X, where none can be had, and the one
place that chooses each system's mechanism (`sys.platform` is set by the test; no
Windows or macOS call runs here, see test_hotkey_windows.py and test_hotkey_macos.py)."""

from __future__ import annotations

import sys

import pytest

from desktop.services.system.global_shortcut import GlobalShortcut, make_shortcut, parse_combination, shortcut_problem
from desktop.services.system.hotkey_macos import MacShortcut
from desktop.services.system.hotkey_windows import WindowsShortcut
from desktop.services.system.portals import PortalShortcut


def test_combinations_read_as_x_modifiers_and_a_key():
    assert parse_combination("Ctrl+Alt+Space") == (["ControlMask", "Mod1Mask"], "space")
    assert parse_combination("Meta+Shift+K") == (["Mod4Mask", "ShiftMask"], "k")
    assert parse_combination(" ctrl + F5 ") == (["ControlMask"], "f5")
    for bad in ("Space", "", "Hyper+Space", "Ctrl+"):
        with pytest.raises(ValueError):
            parse_combination(bad)


def test_where_a_global_key_cannot_be_had_it_says_why():
    assert shortcut_problem("wayland") == ""  # the GlobalShortcuts portal answers later (tests/portals)
    assert shortcut_problem("cocoa") and shortcut_problem("windows")  # not on Linux
    assert shortcut_problem("offscreen")


@pytest.mark.parametrize(("system", "platform", "kind"), [
    ("win32", "windows", WindowsShortcut),
    ("darwin", "cocoa", MacShortcut),
    ("linux", "wayland", PortalShortcut),
    ("linux", "xcb", GlobalShortcut),
])
def test_make_shortcut_chooses_each_systems_own_mechanism(monkeypatch, system, platform, kind):
    monkeypatch.setattr(sys, "platform", system)
    shortcut = make_shortcut(platform, "Ctrl+Alt+Space")
    assert type(shortcut) is kind
    assert shortcut_problem(platform) == ""
    assert (shortcut.combination, shortcut.problem) == ("Ctrl+Alt+Space", "")
    for name in ("activated", "failed", "start", "stop"):  # what Companion uses of each
        assert hasattr(shortcut, name), name


@pytest.mark.parametrize(("system", "platform"), [("win32", "offscreen"), ("darwin", "offscreen"),
                                                  ("darwin", "minimal"), ("win32", "cocoa")])
def test_without_the_systems_own_qt_platform_it_says_why(monkeypatch, system, platform):
    monkeypatch.setattr(sys, "platform", system)
    assert shortcut_problem(platform) == "A global shortcut is not available on this system yet."
