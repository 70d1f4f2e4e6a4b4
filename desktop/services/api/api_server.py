"""Runs the OpenAI-compatible API (uvicorn) on a thread of its own, for the window.

The socket is bound here, before the thread starts, so a port in use is an error the
person sees at once and port 0 ("any free port") has a known address. Only loopback
unless the caller passes `expose=True` together with an API key.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import uvicorn
from fastapi import FastAPI

from desktop.core.api_policy import is_wildcard
from desktop.core.errors import HearthError

__all__ = ["ApiServer", "accepted_hosts", "check_bind_address", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the API on this computer."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind_address(host: str, *, expose: bool, api_key: str | None) -> None:
    """Refuse to listen beyond this computer unless asked to, and then only with a key."""
    if is_loopback(host):
        return
    if not expose:
        raise HearthError(f"Listening on {host} would open Hearth to other computers; "
                          "pass --expose (and an API key) if that is what you want.")
    if not api_key:
        raise HearthError(f"Listening on {host} needs an API key (HEARTH_API_KEY or --api-key-file).")


def accepted_hosts(host: str) -> tuple[frozenset[str], bool]:
    """The Host header names a server listening on `host` answers besides loopback's,
    and whether any IP literal is accepted too (a wildcard address: clients may use any
    of this computer's addresses, or its name)."""
    if is_wildcard(host):
        name = socket.gethostname().lower()
        return frozenset({name, f"{name}.local"}), True
    return frozenset({host}), False


class ApiServer:
    """`start()` binds and serves; `stop()` shuts down and joins. Not restartable."""

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self._thread = threading.Thread(target=self._serve, name="hearth-api", daemon=True)
        self._socket: socket.socket | None = None

    @property
    def address(self) -> str:
        """The base URL clients use, e.g. http://127.0.0.1:8765/v1."""
        assert self._socket is not None, "start() first"
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> str:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
            sock.listen(2048)  # clients may connect at once: the kernel queues them until uvicorn runs
        except OSError as error:
            sock.close()
            raise HearthError(f"The API cannot listen on {self._host}:{self._port} ({error.strerror}).") from error
        self._socket = sock
        self._thread.start()
        return self.address

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _serve(self) -> None:
        assert self._socket is not None
        self._server.run(sockets=[self._socket])
