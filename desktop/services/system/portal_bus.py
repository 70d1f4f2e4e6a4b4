"""One connection to the session bus for the XDG desktop portals, through jeepney (MIT).

A `PortalBus` belongs to one worker thread: its blocking D-Bus I/O sleeps in select() on
the bus socket and a `Wake` pipe, so `Wake.set()` from any thread ends any wait at
once (`Stopped`), and every wait has a deadline. A portal request answers in two
steps: the call returns a Request object's path at once, and the answer comes later
as that object's `Response(u response, a{sv} results)` signal, which is subscribed to
before the call, as the portal documentation advises, so a quick answer is not missed.
Signals count only from the portal's own connection: another app on the bus cannot
answer in its name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from desktop.core.errors import HearthError

__all__ = ["DESKTOP_PATH", "PortalBus", "PortalError", "Stopped", "Wake", "signal_is"]

PORTAL = "org.freedesktop.portal.Desktop"
DESKTOP_PATH = "/org/freedesktop/portal/desktop"
CALL_S = 10.0  # a method call's reply (not a dialog's answer)
FIRST_CALL_S = 30.0  # the first call may start the portal (D-Bus activation)
CLOSE_S = 2.0  # closing a request or a session on the way out
_MAX_KEPT_SIGNALS = 64
_NO_PORTAL = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")


class PortalError(HearthError):
    """The portal cannot do what was asked; one sentence for the person."""


class Stopped(Exception):
    """`Wake.set()` was called: the worker is asked to finish."""


class Wake:
    """A pipe another thread writes to, to end the worker's waits."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()

    def set(self) -> None:
        os.write(self._write_fd, b"x")

    def close(self) -> None:
        for fd in (self.read_fd, self._write_fd):
            os.close(fd)


class PortalBus:
    """The session bus, used by one thread; `address` "SESSION" reads DBUS_SESSION_BUS_ADDRESS."""

    def __init__(self, wake: Wake, address: str = "SESSION") -> None:
        self._wake, self._address = wake, address
        self._sock: Any = None
        self._parser: Any = None
        self._serials = iter(range(1, 2**31))
        self._awaited: set[int] = set()  # replies to other (abandoned) calls are dropped
        self._replies: dict[int, Any] = {}
        self._signals: deque[Any] = deque(maxlen=_MAX_KEPT_SIGNALS)
        self.unique_name = ""
        self._portal_owner = ""  # the portal's unique name, once it answered

    # -- connection ------------------------------------------------------------------

    def connect(self) -> None:
        """Authenticate and say Hello; PortalError when there is no session bus."""
        from jeepney import Parser
        from jeepney.bus import get_bus
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import prep_socket

        try:
            self._sock = prep_socket(get_bus(self._address), timeout=CLOSE_S)
        except KeyError:
            raise PortalError("There is no D-Bus session bus here, so the desktop's portals cannot be "
                              "reached.") from None
        except (OSError, TimeoutError, ValueError, StopIteration) as problem:  # no usable address, refused
            raise PortalError(f"Could not reach the D-Bus session bus ({type(problem).__name__}).") from None
        self._parser = Parser()
        (self.unique_name,) = self._call(message_bus.Hello(), CALL_S)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # -- calls -----------------------------------------------------------------------

    def call(self, path: str, interface: str, method: str, signature: str | None = None, body: tuple = (),
             *, timeout: float = CALL_S, cancellable: bool = True) -> tuple:
        """A method of the portal's object `path`; its reply's body."""
        from jeepney import DBusAddress, new_method_call

        message = new_method_call(DBusAddress(path, PORTAL, interface), method, signature, body)
        return self._call(message, timeout, cancellable=cancellable)

    def version(self, interface: str, *, missing: str) -> int:
        """The portal's version of `interface`; PortalError(`missing`) when it has none."""
        from jeepney.wrappers import DBusErrorResponse

        try:
            (variant,) = self.call(DESKTOP_PATH, "org.freedesktop.DBus.Properties", "Get", "ss",
                                   (interface, "version"), timeout=FIRST_CALL_S)
        except DBusErrorResponse as error:
            if error.name in _NO_PORTAL:
                raise PortalError("No XDG desktop portal is running here (the xdg-desktop-portal package and "
                                  "the desktop's own portal, such as xdg-desktop-portal-gnome or -kde, are "
                                  "needed).") from None
            raise PortalError(missing) from None
        from jeepney.bus_messages import message_bus

        (self._portal_owner,) = self._call(message_bus.GetNameOwner(PORTAL), CALL_S)
        return int(variant[1])

    def request(self, interface: str, method: str, signature: str, body: tuple, options: dict[str, tuple],
                *, timeout: float) -> tuple[int, dict[str, Any]]:
        """Call a request-style method (its last argument: `options`, a{sv}) and wait up
        to `timeout` for its Response; (response, results). A timeout or a stop closes the
        request, so the desktop's dialog goes away too."""
        token = "hearth_" + secrets.token_hex(6)
        expected = f"{DESKTOP_PATH}/request/{self.unique_name.lstrip(':').replace('.', '_')}/{token}"
        self.add_match(interface="org.freedesktop.portal.Request", member="Response", path=expected)
        (handle,) = self.call(DESKTOP_PATH, interface, method, signature + "a{sv}",
                              (*body, {**options, "handle_token": ("s", token)}))
        if handle != expected:  # an old portal: its own path (a very quick answer could be missed)
            self.add_match(interface="org.freedesktop.portal.Request", member="Response", path=handle)
        try:
            message = self.next_signal(lambda m: signal_is(m, handle, "org.freedesktop.portal.Request", "Response"),
                                       timeout=timeout)
        except (Stopped, TimeoutError):
            self.close_object(handle, "org.freedesktop.portal.Request")
            raise
        response, results = message.body
        return int(response), {key: value for key, (_sig, value) in results.items()}

    def close_object(self, path: str, interface: str) -> None:
        """Close a Request or a Session (ends its dialog); a failure changes nothing (it is
        gone already, or the bus is)."""
        from jeepney.wrappers import DBusErrorResponse

        with contextlib.suppress(DBusErrorResponse, TimeoutError, OSError):
            self.call(path, interface, "Close", timeout=CLOSE_S, cancellable=False)

    def add_match(self, **rule: str) -> None:
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus

        self._call(message_bus.AddMatch(MatchRule(type="signal", sender=PORTAL, **rule)), CALL_S)

    # -- waiting ---------------------------------------------------------------------

    def next_signal(self, wanted: Callable[[Any], bool], *, timeout: float | None) -> Any:
        """The next signal `wanted` accepts (None: wait until one comes or a stop)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for message in list(self._signals):
                if wanted(message):
                    self._signals.remove(message)
                    return message
            self._signals.clear()  # none of them is awaited
            self._pump(deadline, cancellable=True)

    def _call(self, message: Any, timeout: float, *, cancellable: bool = True) -> tuple:
        from jeepney import MessageType
        from jeepney.wrappers import DBusErrorResponse

        serial = next(self._serials)
        self._awaited.add(serial)
        try:
            self._sock.sendall(message.serialise(serial=serial))
            deadline = time.monotonic() + timeout
            while serial not in self._replies:
                self._pump(deadline, cancellable=cancellable)
        finally:
            self._awaited.discard(serial)
        reply = self._replies.pop(serial)
        if reply.header.message_type == MessageType.error:
            raise DBusErrorResponse(reply)
        return reply.body

    def _pump(self, deadline: float | None, *, cancellable: bool) -> None:
        """Sleep until the bus has data (read it all), a stop, or `deadline` (TimeoutError)."""
        from jeepney import HeaderFields, MessageType

        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        watched = [self._sock, self._wake.read_fd] if cancellable else [self._sock]
        ready, _, _ = select.select(watched, [], [], left)
        if self._wake.read_fd in ready:
            raise Stopped
        if not ready:
            raise TimeoutError
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionResetError("the session bus closed the connection")
        self._parser.add_data(data)
        while (message := self._parser.get_next_message()) is not None:
            kind = message.header.message_type
            if kind in (MessageType.method_return, MessageType.error):
                serial = message.header.fields.get(HeaderFields.reply_serial)
                if serial in self._awaited:
                    self._replies[serial] = message
            elif kind == MessageType.signal and message.header.fields.get(HeaderFields.sender) == self._portal_owner:
                self._signals.append(message)


def signal_is(message: Any, path: str, interface: str, member: str) -> bool:
    """Whether `message` is the signal `member` of `interface` from the object `path`."""
    from jeepney import HeaderFields

    fields = message.header.fields
    return (fields.get(HeaderFields.path), fields.get(HeaderFields.interface),
            fields.get(HeaderFields.member)) == (path, interface, member)
