"""GUI-side measurements for `hearth bench`: how long the GUI thread is blocked while
an answer streams into the real window and while Whisper runs, and the cold start.

A 1 ms QTimer ticks on the GUI thread; every gap beyond the tick is time the thread
could not handle events (a stall a person would feel as a stutter).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from desktop.app.wiring import connect_window
from desktop.core.engine_types import GenerationOptions
from desktop.gui.main_window import MainWindow
from desktop.services.chat_session import ChatSession
from desktop.services.llm_engine import LlmEngine
from desktop.services.transcriber import Transcriber

__all__ = ["Stalls", "measure_cold_start", "measure_stalls"]


@dataclass(frozen=True)
class Stalls:
    p50_ms: float
    p99_ms: float
    max_ms: float
    ticks: int


class _StallMeter:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._clock.start()
        self._timer.start()

    def stop(self) -> Stalls:
        self._timer.stop()
        stalls = [max(0.0, gap - 1.0) for gap in self.gaps] or [0.0]
        ordered = sorted(stalls)
        return Stalls(p50_ms=statistics.median(ordered), p99_ms=ordered[int(0.99 * (len(ordered) - 1))],
                      max_ms=ordered[-1], ticks=len(ordered))

    def _tick(self) -> None:
        self.gaps.append(self._clock.nsecsElapsed() / 1e6)
        self._clock.restart()


def measure_stalls(engine: LlmEngine, whisper: Path | None, speech: np.ndarray | None,
                   database: Path) -> tuple[Stalls, Stalls | None]:
    """(while an answer streams into the window, while Whisper transcribes `speech`).
    With no display the window is drawn offscreen: the GUI thread does the same work."""
    import os

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("darwin", "win32")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    session = ChatSession(engine, database, system_prompt=None,
                          options=GenerationOptions(temperature=0.0, max_tokens=96))
    connect_window(window, session)
    window.show()
    session.start()
    meter = _StallMeter()
    try:
        done = QEventLoop()
        session.answerFinished.connect(lambda _answer: done.quit())
        session.failed.connect(lambda _message: done.quit())
        meter.start()
        window.composer.edit.setPlainText("Write a short poem about the sea, with a code block of Python.")
        window.composer.send()
        done.exec()
        streaming = meter.stop()
        transcribing = None
        if whisper is not None and speech is not None:
            transcriber = Transcriber(whisper)
            finished = QEventLoop()
            worker = threading.Thread(target=lambda: (transcriber.transcribe(speech), QTimer.singleShot(0, app,
                                                                                                       finished.quit)),
                                      name="hearth-bench-whisper", daemon=True)
            meter.start()
            worker.start()
            finished.exec()
            worker.join()
            transcribing = meter.stop()
            transcriber.close()
        return streaming, transcribing
    finally:
        session.shutdown()
        window.close()
        window.deleteLater()


def measure_cold_start(runs: int = 3) -> float:
    """Seconds from starting `hearth` to its window drawn (median), the model loading
    behind. Runs the real app offscreen with `HEARTH_BENCH_COLD_START=<fd>`: it writes
    "painted" to that pipe on its first paint, then quits."""
    import os

    times = []
    for _ in range(runs):
        read_end, write_end = os.pipe()
        started = time.perf_counter()
        app = subprocess.Popen([str(Path(sys.executable).with_name("hearth"))], pass_fds=(write_end,),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, QT_QPA_PLATFORM="offscreen",
                                        HEARTH_BENCH_COLD_START=str(write_end)))
        os.close(write_end)
        with os.fdopen(read_end) as painted:
            if painted.readline().strip() == "painted":
                times.append(time.perf_counter() - started)
        app.wait(120)  # it quits once the model it was loading is loaded and freed
    if not times:
        raise RuntimeError("the window never painted")
    return statistics.median(times)
