"""Reading aloud: sentences in, sound out of the default output device, Stop at once.

One worker thread loads the voice (on first use), turns each queued sentence into
sound and hands it to the output device's queue; `stop()` silences it at once: it drops
the queued sentences and the queued sound. The queue holds sentences, so the
first one is spoken while an answer still streams. `shutdown()` stops and joins.
Given an `EchoReference`, what is played goes there too, stamped with when it is heard,
for voice mode's echo canceller.

Signals:
    speaking(bool): sound started (True) or the queue ran dry or was stopped (False).
    failed(str): one sentence (no espeak-ng, no voice, no output device).
"""

from __future__ import annotations

import collections
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from desktop.core.errors import HearthError
from desktop.services.speech.audio_devices import device_failure
from desktop.services.speech.echo_canceller import EchoReference, heard_at
from desktop.services.speech.voice import PiperVoice, VoiceFile

__all__ = ["Speaker"]

log = logging.getLogger(__name__)
_LEAD_IN_S = 0.8  # a new stream's first moments are lost when the CPU is busy (the model writing beside it)
_LATENCY_S = 0.5  # buffered: the model writing the answer beside it starves the audio thread less
_LEAD_OUT_S = 0.7  # silence after the last word: closing the stream drops what the server still holds
_MAX_QUEUED = 200  # sentences waiting: an answer is bounded, and so is this


class Speaker(QObject):
    speaking = Signal(bool)
    failed = Signal(str)

    def __init__(self, voice: VoiceFile, *, output: Callable[[int], object] | None = None,
                 echo: EchoReference | None = None) -> None:
        """`output(rate)`: an object with write(float32 samples), blocking while it plays,
        and close(at_once=...) (by default a sounddevice stream on the default device,
        which tells `echo` what it plays)."""
        super().__init__()
        self.voice = voice
        self._open_output = output or functools.partial(_SoundOutput, echo=echo)
        self._sentences: queue.Queue[_Item | None] = queue.Queue()
        self._stop = threading.Event()
        self._generation = 0  # a stop() makes the sentences queued before it stale
        self._output: _SoundOutput | None = None  # while the worker waits for it to play out
        self._thread = threading.Thread(target=self._run, name="hearth-speaker", daemon=True)
        self._thread.start()

    def say(self, sentences: list[str]) -> None:
        """Queue these sentences after any still to be spoken."""
        for sentence in sentences:
            if sentence.strip() and self._sentences.qsize() < _MAX_QUEUED:
                self._sentences.put(_Item(self._generation, sentence))
        self._wake()

    def stop(self) -> None:
        """Silence now and forget what was queued."""
        self._generation += 1
        self._stop.set()
        self._wake()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop()
        self._sentences.put(None)
        self._thread.join(timeout)

    def _wake(self) -> None:
        output = self._output
        if output is not None:
            output.wake()

    def wait_idle(self, timeout: float) -> bool:
        """True once everything queued before now has been spoken (`hearth ask --speak`)."""
        done = threading.Event()
        self._sentences.put(_Item(self._generation, "", done))
        return done.wait(timeout)

    # -- the worker ------------------------------------------------------------------

    def _run(self) -> None:
        voice: PiperVoice | None = None
        output = None
        try:
            while (item := self._sentences.get()) is not None:
                if item.done is not None:
                    item.done.set()
                    continue
                if item.generation != self._generation:
                    continue  # queued before a stop()
                self._stop.clear()
                try:
                    voice = voice or PiperVoice(self.voice)
                    samples = voice.speech(item.sentence)
                    if output is None:
                        output = self._open_output(voice.sample_rate)
                        self.speaking.emit(True)
                    output.write(samples)
                except HearthError as error:
                    self.failed.emit(str(error))
                    self.stop()
                except Exception as error:  # an output device that vanished: logged, one sentence
                    log.exception("reading aloud failed")
                    self.failed.emit(f"Reading aloud stopped: {error}.")
                    self.stop()
                if output is not None and not self._stop.is_set() and not self._more_to_say():
                    output.write(np.zeros(int(voice.sample_rate * _LEAD_OUT_S), dtype=np.float32))
                    self._output = output  # say() and stop() wake the wait
                    output.drain(lambda: self._stop.is_set() or self._more_to_say())
                    self._output = None
                if output is not None and (self._stop.is_set() or not self._more_to_say()):
                    _close(output, at_once=self._stop.is_set())
                    output = None
                    self.speaking.emit(False)
        finally:
            if output is not None:
                _close(output, at_once=True)

    def _more_to_say(self) -> bool:
        """A sentence of now is queued (not only a wait marker or stale ones)."""
        with self._sentences.mutex:
            return any(i is not None and i.done is None and i.generation == self._generation
                       for i in self._sentences.queue)

@dataclass(frozen=True)
class _Item:
    generation: int
    sentence: str
    done: threading.Event | None = None  # a marker: set once everything before it is spoken


class _SoundOutput:
    """The default output device, fed from a queue of samples by PortAudio's callback:
    between sentences it plays silence (no underruns), and `close(at_once=True)` drops
    what is queued. `write` returns at once unless half a minute is already queued."""

    _MOST_QUEUED_S = 30.0

    def __init__(self, rate: int, echo: EchoReference | None = None) -> None:
        import sounddevice

        self._rate = rate
        self._echo = echo
        self._latency = _LATENCY_S  # until the stream says
        self._pieces: collections.deque[np.ndarray] = collections.deque()
        self._queued = 0
        self._changed = threading.Condition()
        try:
            self._stream = sounddevice.OutputStream(samplerate=rate, channels=1, dtype="float32",
                                                    latency=_LATENCY_S, callback=self._fill)
            self._stream.start()
            self._latency = float(self._stream.latency)
        except sounddevice.PortAudioError as error:
            raise HearthError(f"{device_failure(error, microphone=False)}.") from error
        self.write(np.zeros(int(rate * _LEAD_IN_S), dtype=np.float32))  # the device's first moments are lost

    def write(self, samples: np.ndarray) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._queued < self._rate * self._MOST_QUEUED_S, timeout=60)
            self._pieces.append(np.ascontiguousarray(samples, dtype=np.float32))
            self._queued += len(samples)

    def drain(self, interrupted: Callable[[], bool]) -> None:
        """Until all that was written has been played, or `interrupted()` (checked when
        the callback or `wake` stirs it)."""
        with self._changed:
            self._changed.wait_for(lambda: not self._queued or interrupted())

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def close(self, *, at_once: bool = False) -> None:
        with self._changed:
            if at_once:
                self._pieces.clear()
                self._queued = 0
        self._stream.abort() if at_once else self._stream.stop()
        if at_once and self._echo is not None:
            self._echo.cut(time.monotonic())  # what the device still held is never heard
        self._stream.close()

    def _fill(self, out: np.ndarray, frames: int, timing: object, _status: object) -> None:
        """PortAudio's thread: the next `frames` samples, silence where there are none
        (and what they are, and when they will be heard, to the echo reference)."""
        filled = 0
        with self._changed:
            while filled < frames and self._pieces:
                piece = self._pieces[0]
                take = min(len(piece), frames - filled)
                out[filled:filled + take, 0] = piece[:take]
                filled += take
                self._queued -= take
                if take == len(piece):
                    self._pieces.popleft()
                else:
                    self._pieces[0] = piece[take:]
            self._changed.notify_all()
        out[filled:, 0] = 0.0
        if self._echo is not None:
            self._echo.record(out[:, 0], self._rate, heard_at(timing, self._latency))


def _close(output: object, *, at_once: bool) -> None:
    try:
        output.close(at_once=at_once)  # type: ignore[attr-defined]
    except Exception:
        log.exception("closing the sound output failed")
