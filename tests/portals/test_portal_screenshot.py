"""Ask about my screen on Wayland: Hearth asks the real xdg-desktop-portal frontend for an
interactive screenshot. The desktop behind it is a fake (GNOME's and KDE's backends
cannot run here; see conftest.py), which writes a known test pattern. The picture
must arrive at its size and colours and its file be gone; a closed dialog changes
nothing and says nothing; no portal, a silent one and a broken file each give one
clear line."""

from __future__ import annotations

import base64

import pytest
from PIL import Image
from PySide6.QtGui import QGuiApplication, QImage

from desktop.core.errors import ImageError
from desktop.gui.main_window import MainWindow
from desktop.services.system.portals import PortalScreenshot, read_portal_image

pytestmark = pytest.mark.portal
SPOTS = {"top_left": (0.25, 0.25), "top_right": (0.75, 0.25), "bottom_left": (0.25, 0.75),
         "bottom_right": (0.75, 0.75)}


def colours(image: QImage) -> dict[str, str]:
    return {name: image.pixelColor(int(x * image.width()), int(y * image.height())).name()
            for name, (x, y) in SPOTS.items()}


def test_the_portals_picture_arrives_whole_and_its_file_is_removed(qtbot, portal):
    shot = PortalScreenshot(address=portal.address)
    try:
        with qtbot.assertNotEmitted(shot.failed), qtbot.waitSignal(shot.captured, timeout=20_000) as done:
            shot.take()
    finally:
        shot.cancel()
    data, note = done.args
    image = QImage.fromData(data)
    assert (image.width(), image.height()) == portal.desktop.PATTERN_SIZE
    assert colours(image) == portal.desktop.QUADRANTS
    assert note == ""
    (asked,) = portal.desktop.screenshots
    assert asked["interactive"] is True  # the desktop's own dialog picks the part
    assert [f.exists() for f in portal.desktop.files] == [False]  # no copy left behind


def test_a_closed_dialog_changes_nothing_and_says_nothing(qtbot, portal):
    portal.desktop.mode = "cancel"
    shot = PortalScreenshot(address=portal.address)
    try:
        with qtbot.assertNotEmitted(shot.failed), qtbot.assertNotEmitted(shot.captured), \
                qtbot.waitSignal(shot.cancelled, timeout=20_000):
            shot.take()
    finally:
        shot.cancel()


def test_a_dialog_that_never_answers_times_out_and_is_closed(qtbot, portal, bus_calls):
    closed_by_hearth = bus_calls("org.freedesktop.portal.Request", "Close")
    portal.desktop.mode = "silent"
    shot = PortalScreenshot(address=portal.address, answer_s=1.0)
    try:
        with qtbot.waitSignal(shot.failed, timeout=20_000) as failed:
            shot.take()
    finally:
        shot.cancel()
    assert failed.args == ["The desktop's screenshot dialog did not answer within 1 seconds."]
    assert "/request/" in closed_by_hearth(10)  # the dialog is closed, not left open
    qtbot.waitUntil(lambda: any("/request/" in path for path in portal.desktop.closed), timeout=10_000)


def test_cancel_closes_the_open_dialog_at_once(qtbot, portal, bus_calls):
    closed_by_hearth = bus_calls("org.freedesktop.portal.Request", "Close")
    portal.desktop.mode = "silent"
    shot = PortalScreenshot(address=portal.address)
    with qtbot.assertNotEmitted(shot.failed), qtbot.assertNotEmitted(shot.cancelled):
        shot.take()
        qtbot.waitUntil(lambda: len(portal.desktop.screenshots) == 1, timeout=20_000)
        shot.cancel()  # Hearth quits while the dialog is open: joined, not left waiting 2 minutes
        assert not shot.busy
    assert "/request/" in closed_by_hearth(10)
    qtbot.waitUntil(lambda: any("/request/" in path for path in portal.desktop.closed), timeout=10_000)


def test_a_broken_file_gives_one_line_and_is_removed_too(qtbot, portal):
    portal.desktop.mode = "broken"
    shot = PortalScreenshot(address=portal.address)
    try:
        with qtbot.waitSignal(shot.failed, timeout=20_000) as failed:
            shot.take()
    finally:
        shot.cancel()
    assert failed.args[0].startswith("The desktop's screenshot cannot be read") and "\n" not in failed.args[0]
    assert not portal.desktop.files[0].exists()


def test_no_portal_on_the_bus_gives_one_clear_line(qtbot, private_bus):
    shot = PortalScreenshot(address=private_bus)
    try:
        with qtbot.waitSignal(shot.failed, timeout=20_000) as failed:
            shot.take()
    finally:
        shot.cancel()
    assert failed.args[0].startswith("No XDG desktop portal is running here")


def test_no_session_bus_gives_one_clear_line(qtbot, monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    shot = PortalScreenshot()
    try:
        with qtbot.waitSignal(shot.failed, timeout=20_000) as failed:
            shot.take()
    finally:
        shot.cancel()
    assert failed.args == ["There is no D-Bus session bus here, so the desktop's portals cannot be reached."]


def test_the_file_is_read_bounded_and_only_a_fresh_one_is_deleted(tmp_path):
    picture = tmp_path / "Screenshot.png"
    Image.new("RGB", (8, 8), "#336699").save(picture)
    data, note = read_portal_image(picture.as_uri(), since=picture.stat().st_mtime + 3600)
    assert data and note == "" and picture.exists()  # older than the request: not Hearth's to delete
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.truncate(300 * 1024 * 1024)  # sparse: nothing is really written or read
    with pytest.raises(ImageError, match="too large"):
        read_portal_image(huge.as_uri(), since=0)
    with pytest.raises(ImageError, match="not a local file"):
        read_portal_image("https://example.com/shot.png", since=0)
    link = tmp_path / "link.png"
    link.symlink_to(picture)
    with pytest.raises(ImageError, match="symbolic link"):
        read_portal_image(link.as_uri(), since=0)


def test_in_the_window_the_portals_picture_becomes_an_attachment(qtbot, portal, monkeypatch):
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "wayland"))
    window = MainWindow()
    qtbot.addWidget(window)
    window.composer.vision = True
    shot = PortalScreenshot(address=portal.address)
    window.screen_ask.use_portal(shot)
    window.show()
    try:
        with qtbot.waitSignal(window.screen_ask.captured, timeout=20_000):
            window.ask_about_screen()  # on Wayland, no "cannot" line: the portal is used
        qtbot.waitUntil(window.isVisible)
    finally:
        shot.cancel()
    (attachment,) = window.composer.attachments
    size = portal.desktop.PATTERN_SIZE
    assert (attachment.width, attachment.height, attachment.source_name) == (*size, "screen capture")
    png = QImage.fromData(base64.b64decode(attachment.data_uri.split(",", 1)[1]))
    assert colours(png) == portal.desktop.QUADRANTS
    assert window.screen_ask.picker is None  # the desktop's dialog picked, not Hearth's overlay

    portal.desktop.mode = "cancel"  # the person closes the desktop's dialog: nothing more, nothing said
    try:
        with qtbot.assertNotEmitted(window.screen_ask.failed), qtbot.waitSignal(shot.cancelled, timeout=20_000):
            window.ask_about_screen()
        qtbot.waitUntil(window.isVisible)
    finally:
        shot.cancel()
    assert len(window.composer.attachments) == 1 and not window.composer.notice.isVisible()


def test_in_the_window_no_portal_is_one_line_and_the_window_comes_back(qtbot, private_bus):
    window = MainWindow()
    qtbot.addWidget(window)
    window.composer.vision = True
    shot = PortalScreenshot(address=private_bus)
    window.screen_ask.use_portal(shot)
    window.show()
    try:
        with qtbot.waitSignal(window.screen_ask.failed, timeout=20_000) as failed:
            window.ask_about_screen()
    finally:
        shot.cancel()
    assert failed.args[0].startswith("No XDG desktop portal is running here")
    assert window.isVisible() and not window.composer.attachments
