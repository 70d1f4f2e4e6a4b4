"""The real xdg-desktop-portal frontend on a private D-Bus session bus, with a fake desktop
behind it.

The frontend (/usr/libexec/xdg-desktop-portal, Debian's xdg-desktop-portal package) is
the program every Wayland desktop runs; what differs per desktop is its backend
(xdg-desktop-portal-gnome, -kde, ...), which draws the dialogs and talks to the
compositor. Those backends cannot run here (no GNOME Shell or KWin), so
`FakeDesktop` is a small jeepney service implementing the backend interfaces
(org.freedesktop.impl.portal.Screenshot, .GlobalShortcuts and .Access, which the
frontend needs before it offers Screenshot): it writes a known test pattern and answers
its URI, records bindings, and emits Activated when told. Hearth talks only to the real
frontend, exactly as it would on a desktop.
"""

from __future__ import annotations

import os
import queue
import select
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from PIL import Image

FRONTEND = Path("/usr/libexec/xdg-desktop-portal")
BACKEND_NAME = "org.freedesktop.impl.portal.desktop.hearthtest"
DESKTOP = "/org/freedesktop/portal/desktop"
IMPL = "org.freedesktop.impl.portal."
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>
"""  # no <servicedir>: nothing is started on demand, so "no portal" really means none


@dataclass
class FakeDesktop:
    """The backend side of the portals; `mode` says how the next screenshot is answered:
    "pattern" (the test pattern's URI), "cancel" (response 1: the dialog was closed),
    "silent" (never), "broken" (a file that is no image)."""

    address: str
    folder: Path
    mode: str = "pattern"
    trigger: str = "Ctrl+Alt+Space"  # what the fake desktop says it bound
    screenshots: list[dict] = field(default_factory=list)  # the options of each request
    files: list[Path] = field(default_factory=list)
    bindings: list[tuple[str, list]] = field(default_factory=list)  # (session, shortcuts)
    closed: list[str] = field(default_factory=list)  # Request and Session objects closed
    _commands: queue.Queue = field(default_factory=queue.Queue)
    _wake: tuple[int, int] = (-1, -1)
    _thread: threading.Thread | None = None
    PATTERN_SIZE: ClassVar = (240, 160)
    QUADRANTS: ClassVar = {"top_left": "#ff0000", "top_right": "#00ff00", "bottom_left": "#0000ff",
                           "bottom_right": "#ffff00"}

    @classmethod
    def write_pattern(cls, path: Path) -> None:
        """Four coloured quadrants (QUADRANTS), PATTERN_SIZE pixels."""
        width, height = cls.PATTERN_SIZE
        image = Image.new("RGB", cls.PATTERN_SIZE)
        for index, colour in enumerate(cls.QUADRANTS.values()):
            left, top = (index % 2) * width // 2, (index // 2) * height // 2
            image.paste(colour, (left, top, left + width // 2, top + height // 2))
        image.save(path)

    def start(self) -> None:
        self._wake = os.pipe()
        connection = open_dbus_connection(self.address)
        connection.send_and_get_reply(message_bus.RequestName(BACKEND_NAME), timeout=5)
        self._thread = threading.Thread(target=self._serve, args=(connection,), name="fake-desktop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            os.write(self._wake[1], b"x")
            self._thread.join(10)
            for fd in self._wake:
                os.close(fd)
            self._thread = None

    def activate(self, shortcut_id: str = "quick-ask") -> None:
        """The person pressed the bound key: Activated for the latest session."""
        self._commands.put(("activate", shortcut_id))
        os.write(self._wake[1], b"c")

    def _serve(self, connection: Any) -> None:
        try:
            while True:
                while (message := _next_message(connection)) is not None:
                    if message.header.message_type == MessageType.method_call:
                        self._answer(connection, message)
                ready, _, _ = select.select([connection.sock, self._wake[0]], [], [])
                if self._wake[0] in ready:
                    if os.read(self._wake[0], 1) == b"x":
                        return
                    self._command(connection, *self._commands.get_nowait())
        finally:
            connection.close()

    def _command(self, connection: Any, name: str, shortcut_id: str) -> None:
        session = self.bindings[-1][0]
        emitter = DBusAddress(DESKTOP, interface=IMPL + "GlobalShortcuts")
        connection.send(new_signal(emitter, "Activated", "osta{sv}", (session, shortcut_id, 1, {})))

    def _answer(self, connection: Any, call: Any) -> None:
        fields = call.header.fields
        interface, member, path = fields.get(HeaderFields.interface), fields[HeaderFields.member], fields[
            HeaderFields.path]
        body = call.body
        reply: tuple | None = None
        if interface == "org.freedesktop.DBus.Properties":
            versions = {IMPL + "Screenshot": 2, IMPL + "GlobalShortcuts": 1, IMPL + "Access": 1}
            version = ("u", versions.get(body[0], 1))
            reply = ("v", (version,)) if member == "Get" else ("a{sv}", ({"version": version},))
        elif (interface, member) == (IMPL + "Screenshot", "Screenshot"):
            _handle, _app, _parent, options = body
            self.screenshots.append({k: v for k, (_s, v) in options.items()})
            reply = self._screenshot()
        elif (interface, member) in ((IMPL + "Access", "AccessDialog"), (IMPL + "GlobalShortcuts", "CreateSession")):
            reply = ("ua{sv}", (0, {}))
        elif (interface, member) == (IMPL + "GlobalShortcuts", "BindShortcuts"):
            _handle, session, shortcuts, _parent, _options = body
            self.bindings.append((session, [(i, {k: v for k, (_s, v) in o.items()}) for i, o in shortcuts]))
            bound = [(i, {"description": o["description"], "trigger_description": ("s", self.trigger)})
                     for i, o in shortcuts]
            reply = ("ua{sv}", (0, {"shortcuts": ("a(sa{sv})", bound)}))
        elif member == "Close" and interface in (IMPL + "Request", IMPL + "Session"):
            self.closed.append(path)
            reply = (None, ())
        if reply is None:
            connection.send(new_error(call, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"no {member}",)))
        elif reply != ("silent", ()):
            connection.send(new_method_return(call, reply[0], reply[1]))

    def _screenshot(self) -> tuple:
        if self.mode == "cancel":
            return ("ua{sv}", (1, {}))
        if self.mode == "silent":
            return ("silent", ())  # the dialog stays open until Request.Close
        path = self.folder / f"Screenshot-{len(self.screenshots)}.png"
        if self.mode == "broken":
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10)
        else:
            self.write_pattern(path)
        self.files.append(path)
        return ("ua{sv}", (0, {"uri": ("s", path.as_uri())}))


def _next_message(connection: Any) -> Any:
    """A message already on its way (None when the socket has no more just now)."""
    try:
        return connection.receive(timeout=0)
    except TimeoutError:
        return None


@dataclass
class PortalDesktop:
    address: str  # the private session bus
    desktop: FakeDesktop | None
    log: Path  # the frontend's output


def _private_bus(folder: Path) -> tuple[subprocess.Popen, str]:
    config = folder / "bus.conf"
    config.write_text(BUS_CONFIG)
    read_end, write_end = os.pipe()
    with (folder / "dbus-daemon.log").open("w") as log:
        daemon = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile",
                                   f"--print-address={write_end}"], pass_fds=(write_end,), stderr=log)
    os.close(write_end)
    with os.fdopen(read_end) as lines:
        address = lines.readline().strip()
    assert address, "dbus-daemon did not start"
    return daemon, address


def _wait_for_name(address: str, name: str, timeout: float) -> None:
    """Until `name` has an owner on the bus (its NameOwnerChanged signal, or already so)."""
    with open_dbus_connection(address) as connection:
        rule = MatchRule(type="signal", interface="org.freedesktop.DBus", member="NameOwnerChanged")
        rule.add_arg_condition(0, name)
        connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
        with connection.filter(rule) as changes:
            if connection.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5).body[0]:
                return
            connection.recv_until_filtered(changes, timeout=timeout)


@pytest.fixture
def private_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A session bus of this test's own (no portal on it); DBUS_SESSION_BUS_ADDRESS points at it."""
    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon is not installed (the CI script installs it)")
    daemon, address = _private_bus(tmp_path)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    daemon.terminate()
    daemon.wait(10)


def portal_desktop(folder: Path, address: str, interfaces: tuple[str, ...]) -> Iterator[PortalDesktop]:
    if not FRONTEND.exists():
        pytest.skip(f"{FRONTEND} is absent: install xdg-desktop-portal (the CI script does) to test the portals")
    (folder / "portals").mkdir()
    (folder / "portals" / "hearthtest.portal").write_text(
        f"[portal]\nDBusName={BACKEND_NAME}\nInterfaces={';'.join(IMPL + i for i in interfaces)};\nUseIn=hearthtest\n")
    desktop = FakeDesktop(address, folder)
    desktop.start()
    log = folder / "xdg-desktop-portal.log"
    env = {"PATH": os.environ["PATH"], "HOME": str(folder), "DBUS_SESSION_BUS_ADDRESS": address,
           "XDG_DESKTOP_PORTAL_DIR": str(folder / "portals"), "XDG_CURRENT_DESKTOP": "hearthtest",
           "XDG_RUNTIME_DIR": str(folder)}
    with log.open("w") as sink:
        frontend = subprocess.Popen([str(FRONTEND), "--verbose"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_for_name(address, "org.freedesktop.portal.Desktop", 30)
        yield PortalDesktop(address, desktop, log)
    finally:
        frontend.terminate()
        frontend.wait(10)
        desktop.stop()


@pytest.fixture
def portal(tmp_path: Path, private_bus: str) -> Iterator[PortalDesktop]:
    """The real portal frontend with the fake desktop offering Screenshot and GlobalShortcuts."""
    yield from portal_desktop(tmp_path, private_bus, ("Screenshot", "Access", "GlobalShortcuts"))


@pytest.fixture
def portal_without_shortcuts(tmp_path: Path, private_bus: str) -> Iterator[PortalDesktop]:
    """The real frontend whose desktop offers screenshots but no GlobalShortcuts."""
    yield from portal_desktop(tmp_path, private_bus, ("Screenshot", "Access"))


@pytest.fixture
def bus_calls(private_bus: str) -> Iterator[Callable[[str, str], Callable[[float], str]]]:
    """watch(interface, member) -> seen(timeout): the object path of the next such method
    call anyone makes on the bus (eavesdropped), e.g. Hearth closing its portal session."""
    connections: list[Any] = []

    def watch(interface: str, member: str) -> Callable[[float], str]:
        connection = open_dbus_connection(private_bus)
        connections.append(connection)
        rule = MatchRule(type="method_call", interface=interface, member=member, eavesdrop=True)
        connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
        calls: deque = deque(maxlen=16)
        connection.filter(rule, queue=calls)
        return lambda timeout: connection.recv_until_filtered(calls, timeout=timeout).header.fields[HeaderFields.path]

    yield watch
    for connection in connections:
        connection.close()


@pytest.fixture
def on_wayland(monkeypatch: pytest.MonkeyPatch) -> None:
    """Qt says it runs on Wayland (the tests run offscreen): Hearth then uses the portals."""
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "wayland"))
