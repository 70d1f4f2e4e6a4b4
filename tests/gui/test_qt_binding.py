"""The Qt binding must keep Python's reference counts straight: PySide6 6.12.0 dropped a
reference to None on every call that returns nothing, so a long session (an answer
streams thousands of such calls) freed None and aborted with "Fatal Python error:
none_dealloc" (and emit() did the same to True: "bool_dealloc"), at the latest on quit. Hearth pins a release without that bug."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    fired = Signal(str)


def test_void_and_bool_calls_keep_reference_counts(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    emitter.fired.connect(lambda _text: None)
    before = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(2000):
        emitter.fired.emit("x")  # returns True: 6.12.0 dropped a reference to it (bool_dealloc)
        label.setText("x")  # returns None
        label.isVisible()  # returns False
        label.isEnabled()  # returns True
    after = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    assert all(abs(a - b) < 50 for a, b in zip(before, after, strict=True)), (before, after)
