"""Quick Ask's key on Wayland: Hearth binds it through the real xdg-desktop-portal
frontend's GlobalShortcuts portal. The desktop behind the frontend is a fake (GNOME's
and KDE's backends cannot run here; see conftest.py) that records the binding and
emits Activated when the test presses "the key". The binding must carry the id, the
description and the preferred trigger in the XDG format; Activated must open Quick
Ask; stop() must close the session; a desktop without the portal must leave Settings
one plain line saying why."""

from __future__ import annotations

import pytest
from jeepney import DBusAddress, HeaderFields, new_signal
from jeepney.io.blocking import open_dbus_connection
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from desktop.app.companion import Companion
from desktop.core.settings import Settings
from desktop.gui.main_window import MainWindow
from desktop.services.system.global_shortcut import GlobalShortcut, make_shortcut, shortcut_problem
from desktop.services.system.portals import NO_SHORTCUTS, PortalShortcut, xdg_trigger

pytestmark = pytest.mark.portal


def test_the_key_is_bound_through_the_portal_and_activated_arrives(qtbot, portal, bus_calls):
    closed_by_hearth = bus_calls("org.freedesktop.portal.Session", "Close")
    shortcut = PortalShortcut("Ctrl+Alt+Space", address=portal.address)
    try:
        with qtbot.assertNotEmitted(shortcut.failed), qtbot.waitSignal(shortcut.bound, timeout=20_000) as bound:
            assert shortcut.start() == ""
        assert bound.args == ["Ctrl+Alt+Space"]  # as the desktop names the key it bound
        ((session, shortcuts),) = portal.desktop.bindings
        assert shortcuts == [("quick-ask", {"description": "Open Hearth Quick Ask",
                                            "preferred_trigger": "CTRL+ALT+space"})]
        with qtbot.waitSignal(shortcut.activated, timeout=10_000):
            portal.desktop.activate()
        with qtbot.assertNotEmitted(shortcut.activated, wait=300):
            portal.desktop.activate("someone-elses-key")
        with qtbot.assertNotEmitted(shortcut.activated, wait=300), open_dbus_connection(portal.address) as rogue:
            emitter = DBusAddress("/org/freedesktop/portal/desktop", interface="org.freedesktop.portal.GlobalShortcuts")
            spoof = new_signal(emitter, "Activated", "osta{sv}", (session, "quick-ask", 1, {}))
            rogue.send(spoof)  # another app, not the portal: broadcast, then sent to Hearth alone
            spoof.header.fields[HeaderFields.destination] = ":" + session.split("/")[-2].replace("_", ".")
            rogue.send(spoof)
    finally:
        shortcut.stop()
    assert closed_by_hearth(10) == session  # Hearth closed its session itself, not only by leaving the bus
    qtbot.waitUntil(lambda: session in portal.desktop.closed, timeout=10_000)  # the desktop let the key go


def test_a_desktop_without_the_portal_says_so_in_one_line(qtbot, portal_without_shortcuts):
    shortcut = PortalShortcut("Ctrl+Alt+Space", address=portal_without_shortcuts.address)
    try:
        with qtbot.waitSignal(shortcut.failed, timeout=20_000) as failed:
            shortcut.start()
    finally:
        shortcut.stop()
    assert failed.args == [NO_SHORTCUTS] and shortcut.problem == NO_SHORTCUTS


def test_no_portal_at_all_says_so(qtbot, private_bus):
    shortcut = PortalShortcut("Ctrl+Alt+Space", address=private_bus)
    try:
        with qtbot.waitSignal(shortcut.failed, timeout=20_000) as failed:
            shortcut.start()
    finally:
        shortcut.stop()
    assert failed.args[0].startswith("No XDG desktop portal is running here")


def test_the_choice_between_x11_and_the_portal_is_made_in_one_place():
    assert isinstance(make_shortcut("wayland", "Ctrl+Alt+Space"), PortalShortcut)
    assert isinstance(make_shortcut("xcb", "Ctrl+Alt+Space"), GlobalShortcut)
    assert shortcut_problem("wayland") == ""  # the portal answers later
    assert xdg_trigger("Meta+Shift+K") == "SHIFT+LOGO+k" and xdg_trigger("ctrl+F5") == "CTRL+F5"
    with pytest.raises(ValueError):
        xdg_trigger("Space")


class Session(QObject):
    """What Companion listens to of the chat session; Quick Ask is only opened here."""

    draftsLoaded = Signal(object)
    questionSaved = Signal(int, int)
    answerStarted = Signal(int)
    answerDelta = Signal(str)
    answerFinished = Signal(object)
    failed = Signal(str)


class Controller:
    """What Companion asks of the window's controller here: keeping drafts (none to keep)."""

    def keep_drafts(self) -> None:
        pass


def companion(qtbot, settings: Settings) -> Companion:
    window = MainWindow()
    qtbot.addWidget(window)
    made = Companion(QApplication.instance(), window, Session(window), Controller(), settings)
    qtbot.addWidget(made.quick)
    return made


def test_in_the_app_activated_opens_quick_ask(qtbot, portal, on_wayland):
    made = companion(qtbot, Settings(quick_ask_key="Ctrl+Alt+Space"))
    try:
        assert isinstance(made.shortcut, PortalShortcut) and made.shortcut_problem == ""
        qtbot.waitUntil(lambda: len(portal.desktop.bindings) == 1, timeout=20_000)
        assert not made.quick.isVisible()
        portal.desktop.activate()
        qtbot.waitUntil(made.quick.isVisible, timeout=10_000)
    finally:
        made.shutdown()
    assert made.shortcut is None


def test_in_the_app_a_missing_portal_is_what_settings_show(qtbot, portal_without_shortcuts, on_wayland):
    made = companion(qtbot, Settings(quick_ask_key="Ctrl+Alt+Space"))
    try:
        qtbot.waitUntil(lambda: made.shortcut_problem == NO_SHORTCUTS, timeout=20_000)
        assert made.shortcut is None  # stopped and joined
    finally:
        made.shutdown()
