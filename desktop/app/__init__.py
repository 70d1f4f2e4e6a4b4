"""The desktop app: `hearth` with no arguments (and `make run`) opens the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from desktop.app.hearth_app import HearthApp
from desktop.app.wiring import connect_dictation, connect_window
from desktop.core.paths import HearthPaths
from desktop.core.settings import load_settings

__all__ = ["HearthApp", "connect_dictation", "connect_window", "run_app"]


def run_app(argv: Sequence[str] = ()) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Hearth")
    paths = HearthPaths.from_environment().ensure()
    hearth = HearthApp(paths, load_settings(paths.settings_file))
    app.aboutToQuit.connect(hearth.shutdown)
    hearth.window.show()
    return app.exec()
