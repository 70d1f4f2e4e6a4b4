"""The desktop app: `hearth` with no arguments (and `make run`) opens the window."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.app.first_run import needs_setup, run_setup
from desktop.app.hearth_app import HearthApp
from desktop.app.wiring import connect_dictation, connect_window
from desktop.core.errors import HearthError
from desktop.core.paths import HearthPaths, assets_dir
from desktop.core.settings import Settings, load_settings

__all__ = ["HearthApp", "connect_dictation", "connect_window", "run_app"]


def run_app(argv: Sequence[str] = ()) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Hearth")
    app.setDesktopFileName("io.github.hearth.Hearth")
    app.setWindowIcon(QIcon(str(assets_dir() / "icon.png")))
    paths = HearthPaths.from_environment().ensure()
    try:
        hearth = _compose(paths, load_settings(paths.settings_file))
    except HearthError as error:  # one sentence in a box, never a traceback
        QMessageBox.critical(None, "Hearth", str(error))
        return 1
    app.aboutToQuit.connect(hearth.shutdown)
    report = os.environ.get("HEARTH_BENCH_COLD_START")  # `hearth bench`: a pipe's fd for "painted"
    if report:
        hearth.window.installEventFilter(_FirstPaint(app, int(report)))
    hearth.window.show()
    with _quit_on_termination(app):
        return app.exec()


def _compose(paths: HearthPaths, settings: Settings) -> HearthApp:
    """The app, after the first-run setup where no chat model is installed yet."""
    if needs_setup(paths, settings):
        problem = run_setup(paths)
        if problem is not None:
            raise HearthError(problem)
    return HearthApp(paths, settings)


@contextmanager
def _quit_on_termination(app: QApplication) -> Iterator[None]:
    """SIGTERM (a logout, `kill`) and SIGINT (Ctrl+C in a terminal) quit as Ctrl+Q does:
    the answer in flight is stopped and stored and every worker is joined, instead of the
    process dying where it stands. Python runs a signal handler only when the main thread
    runs Python code, so the signal also writes a byte to a socket that wakes Qt's loop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wake_read, wake_write = socket.socketpair()
    wake_read.setblocking(False)
    wake_write.setblocking(False)
    notifier = QSocketNotifier(wake_read.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(lambda: _drain(wake_read))
    previous_fd = signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
    quit_app = lambda *_args: app.quit()  # noqa: E731 - runs on the main thread, between Qt events
    previous = {number: signal.signal(number, quit_app) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        wake_read.close()
        wake_write.close()


def _drain(sock: socket.socket) -> None:
    with suppress(OSError):  # nothing left to read
        sock.recv(64)


class _FirstPaint(QObject):
    """Tells `hearth bench` when the window is first drawn, then quits. It writes to a
    pipe of its own: llama-cpp-python points stdout at /dev/null while a model loads."""

    def __init__(self, parent: QObject, fd: int) -> None:
        super().__init__(parent)
        self._fd = fd

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._fd >= 0:
            os.write(self._fd, b"painted\n")
            os.close(self._fd)
            self._fd = -1
            watched.removeEventFilter(self)
            QTimer.singleShot(0, QApplication.quit)
        return False
