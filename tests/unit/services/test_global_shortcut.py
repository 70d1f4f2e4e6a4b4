"""The Quick Ask key: what a combination means to X, and where none can be had."""

from __future__ import annotations

import pytest

from desktop.services.system.global_shortcut import parse_combination, shortcut_problem


def test_combinations_read_as_x_modifiers_and_a_key():
    assert parse_combination("Ctrl+Alt+Space") == (["ControlMask", "Mod1Mask"], "space")
    assert parse_combination("Meta+Shift+K") == (["Mod4Mask", "ShiftMask"], "k")
    assert parse_combination(" ctrl + F5 ") == (["ControlMask"], "f5")
    for bad in ("Space", "", "Hyper+Space", "Ctrl+"):
        with pytest.raises(ValueError):
            parse_combination(bad)


def test_where_a_global_key_cannot_be_had_it_says_why():
    assert shortcut_problem("wayland") == ""  # the GlobalShortcuts portal answers later (tests/portals)
    assert shortcut_problem("cocoa") and shortcut_problem("windows")
    assert shortcut_problem("offscreen")
