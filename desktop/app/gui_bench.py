"""GUI-side measurements for `hearth bench`: how long the GUI thread is blocked while
an answer streams into the real window and while Whisper runs, and the cold start.

A 1 ms QTimer ticks on the GUI thread; every gap beyond the tick is time the thread
could not handle events (a stall a person would feel as a stutter).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop.app.wiring import connect_window
from desktop.core.engine_types import GenerationOptions
from desktop.gui.main_window import MainWindow
from desktop.services.engines.llm_engine import LlmEngine
from desktop.services.history.chat_session import ChatSession
from desktop.services.speech.transcriber import Transcriber

__all__ = ["Dictated", "Stalls", "gui_application", "measure_cold_start", "measure_dictation", "measure_stalls"]

_WAIT_S = 120  # the longest wait for Whisper or a transcript before the bench gives up


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


def gui_application() -> QApplication:
    """The QApplication for the measurements. With no display the window is drawn
    offscreen: the GUI thread does the same work."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("darwin", "win32")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication([])


def measure_stalls(engine: LlmEngine, database: Path) -> Stalls:
    """The GUI thread while an answer streams into the window (call `gui_application()`
    first and keep it)."""
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
        return meter.stop()
    finally:
        session.shutdown()
        window.close()
        window.deleteLater()


@dataclass(frozen=True)
class Dictated:
    release_to_text_s: float  # key up to the final transcript, through the real pipeline (median)
    release_to_text_all_s: tuple[float, ...]  # every run's, in order
    text: str  # the last run's transcript
    stalls: Stalls  # the GUI thread while recording, passes and the final read ran
    final_read_s: float  # audio the last run's final read covered (the unconfirmed tail and its context)
    read_before_close: int  # runs whose final read was made before the microphone closed (none left then)
    passes: int  # reads while the key was held, in the last run


class _Replay:
    """Stands in for `sounddevice.InputStream`: hands a recording to the callback in
    blocks of the size asked for (1/10 s by default) at the pace a microphone would,
    then silence until stopped."""

    def __init__(self, samples: np.ndarray, *, callback, finished_callback, blocksize: int = 1600,  # noqa: ANN001
                 **_stream_options) -> None:
        self._samples, self._callback, self._finished = samples, callback, finished_callback
        self._block = blocksize or 1600
        self._stop = threading.Event()
        self.played = threading.Event()
        self._thread = threading.Thread(target=self._play, name="hearth-bench-microphone", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(_WAIT_S)  # the thread only ever waits on `_stop`

    def close(self) -> None:
        self._finished()

    def _play(self) -> None:
        """Each block is handed over once it has been "heard" (at the end of its
        time), as a microphone's driver does, never before."""
        block = self._block
        position = 0
        started = time.perf_counter()
        while not self._stop.wait(max(0.0, started + (position + block) / 16_000 - time.perf_counter())):
            chunk = self._samples[position : position + block]
            if len(chunk) < block:
                self.played.set()
                chunk = np.concatenate([chunk, np.zeros(block - len(chunk), dtype=np.float32)])
            self._callback(chunk.reshape(-1, 1), block, None, None)
            position += block


def measure_dictation(whisper: Path, speech: np.ndarray, *, runs: int = 3) -> Dictated:
    """Push-to-talk through the real `Dictation` (passes while held, the key-up tail,
    the final read), fed by a replayed recording instead of a microphone: in real time
    (1x), as a person speaking, and the key comes up 50 ms after the recording ends.
    Where the release falls among the passes varies, so `runs` recordings are timed."""
    from desktop.services.speech.dictation import Dictation

    app = gui_application()

    def open_stream(**options) -> _Replay:
        return _Replay(speech.astype(np.float32), **options)

    dictation = Dictation(lambda: Transcriber(whisper), input_stream=open_stream)
    loop = QEventLoop()
    results: list[tuple[float, str]] = []
    failures: list[str] = []
    dictation.finalTranscript.connect(lambda text: (results.append((time.perf_counter(), text)), loop.quit()))
    dictation.failed.connect(lambda message: (failures.append(message), loop.quit()))
    dictation.unavailable.connect(lambda message: (failures.append(message), loop.quit()))
    watchdog = QTimer()  # a transcript that never comes ends the wait, not the bench
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(loop.quit)
    dictation.start()
    if not dictation.wait_loaded(_WAIT_S):  # as Whisper is, long before a person first speaks
        dictation.shutdown()
        raise RuntimeError("Whisper did not load")
    meter = _StallMeter()
    meter.start()
    timings: list[float] = []
    ahead = 0
    try:
        for _ in range(runs):
            results.clear()
            if not dictation.wait_idle(_WAIT_S):  # the last run's worker must end: a press would be ignored
                raise RuntimeError("the last push-to-talk recording did not finish")
            dictation.press()
            if not dictation.recording:
                raise RuntimeError(failures[-1] if failures else "push-to-talk did not start")
            waited = QEventLoop()
            speaking = QTimer(app, singleShot=True, timerType=Qt.TimerType.PreciseTimer)  # a coarse timer (the
            speaking.timeout.connect(waited.quit)  # default) may fire 5% early: 0.5 s into 10 s of speech
            speaking.start(int(1000 * len(speech) / 16_000) + 50)
            waited.exec()
            released = time.perf_counter()
            dictation.release()
            if not results and not failures:
                watchdog.start(int(_WAIT_S * 1000))
                loop.exec()
                watchdog.stop()
            if not results:
                raise RuntimeError(failures[-1] if failures else "dictation produced no transcript")
            timings.append(results[0][0] - released)
            ahead += bool(dictation.last_result and dictation.last_result.ahead)
    finally:
        stalls = meter.stop()
        dictation.shutdown()
        if dictation.transcriber is not None:
            dictation.transcriber.close()
    final = dictation.last_result
    return Dictated(release_to_text_s=statistics.median(timings), release_to_text_all_s=tuple(timings),
                    text=results[0][1], stalls=stalls, final_read_s=final.tail_samples / 16_000 if final else 0.0,
                    read_before_close=ahead, passes=final.passes if final else 0)


def measure_cold_start(runs: int = 3) -> float:
    """Seconds from starting `hearth` to its window drawn (median), the model loading
    behind. Runs the real app offscreen with `HEARTH_BENCH_COLD_START=<fd>`: it writes
    "painted" to that pipe on its first paint, then quits."""
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
