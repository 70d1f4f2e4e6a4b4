"""The whole app on "Wayland" (Qt's platform name says so; the tests run offscreen) with
the real xdg-desktop-portal frontend and the fake desktop of conftest.py (GNOME's and
KDE's backends cannot run here): HearthApp binds Quick Ask's key through the portal and
opens Quick Ask when the desktop says it was pressed; "Ask about my screen" in the
window takes the portal's picture as an attachment, and a broken one is one line above
the composer; quitting closes the shortcut session."""

from __future__ import annotations

import pytest

from desktop.app import HearthApp
from desktop.core.paths import HearthPaths
from desktop.core.settings import load_settings
from desktop.services.system.portals import PortalShortcut

pytestmark = pytest.mark.portal


def test_on_wayland_the_app_uses_the_portals(qtbot, cli_home, portal, on_wayland, bus_calls):
    closed_by_hearth = bus_calls("org.freedesktop.portal.Session", "Close")
    paths = HearthPaths.from_environment().ensure()
    app = HearthApp(paths, load_settings(paths.settings_file))
    qtbot.addWidget(app.window)
    try:
        app.window.show()
        assert isinstance(app.companion.shortcut, PortalShortcut)
        qtbot.waitUntil(lambda: len(portal.desktop.bindings) == 1, timeout=20_000)
        assert app.companion.shortcut_problem == "" and not app.companion.quick.isVisible()
        portal.desktop.activate()
        qtbot.waitUntil(app.companion.quick.isVisible, timeout=10_000)
        app.companion.quick.hide()

        app.window.composer.vision = True
        with qtbot.waitSignal(app.window.screen_ask.captured, timeout=20_000):
            app.window.ask_about_screen()
        (picture,) = app.window.composer.attachments  # 240×160, downsized to the model's side (the projector's)
        side = min(240, app.window.composer.max_image_side)
        assert (picture.width, picture.height, picture.source_name) == (side, round(side * 160 / 240), "screen capture")
        portal.desktop.mode = "broken"
        with qtbot.waitSignal(app.window.screen_ask.failed, timeout=20_000):
            app.window.ask_about_screen()
        assert app.window.composer.notice.text().startswith("The desktop's screenshot cannot be read")
        qtbot.waitUntil(app.window.isVisible)
        session = portal.desktop.bindings[0][0]
    finally:
        app.shutdown()
    assert closed_by_hearth(10) == session
