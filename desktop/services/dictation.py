"""Push-to-talk: record from the microphone while a key is held, transcribe as it grows.

The PortAudio callback only copies frames into a queue. A worker thread
(`hearth-dictation`) drains it, reports the level, and re-transcribes the recording so
far whenever about a second of new audio has arrived, so a partial transcript grows
while the key is still held; on release the stream is closed after a 250 ms tail (the
microphone is open only while recording) and the final transcript follows.

Signals:
    listening(): the microphone is open and recording.
    levelChanged(float): input level in [0, 1], about 30 times a second.
    partialTranscript(str): the transcript so far, while recording.
    finalTranscript(str): the whole transcript after release ('' when no speech).
    failed(str): a one-line message (no microphone, device lost, ...); nothing else breaks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from desktop.core.audio import WHISPER_RATE, rms_level
from desktop.core.errors import HearthError
from desktop.services.audio_devices import CuePlayer
from desktop.services.transcriber import Transcriber

__all__ = ["Dictation"]

log = logging.getLogger(__name__)
_PARTIAL_EVERY_S = 1.0
_LEVEL_EVERY_S = 1 / 30
_MIN_SPEECH_S = 0.3
_TAIL_MS = 250  # recording kept after key-up


class Dictation(QObject):
    listening = Signal()
    levelChanged = Signal(float)
    partialTranscript = Signal(str)
    finalTranscript = Signal(str)
    failed = Signal(str)

    def __init__(self, load_transcriber: Callable[[], Transcriber], *, device: str | int | None = None,
                 cues: CuePlayer | None = None, input_stream: Callable[..., Any] | None = None) -> None:
        """`load_transcriber` runs on a background thread (loading Whisper takes a
        moment): the person can start speaking at once; transcription waits for it.
        `input_stream` opens the microphone (sounddevice.InputStream; `hearth bench`
        replays a recording through the same calls)."""
        super().__init__()
        if input_stream is None:
            import sounddevice

            input_stream = sounddevice.InputStream
        self._input_stream = input_stream
        self.transcriber: Transcriber | None = None
        self._load_error: HearthError | None = None
        self._loaded = threading.Event()
        self._loader = threading.Thread(
            target=self._load, args=(load_transcriber,), name="hearth-dictation-load", daemon=True
        )
        self.device = device
        self._cues = cues
        self._frames: queue.Queue[np.ndarray | None] = queue.Queue()
        self._stream: Any = None
        self._worker: threading.Thread | None = None
        self._cancel = threading.Event()
        self._lost = threading.Event()  # the device stopped without being asked to

    def start(self) -> None:
        """Begin loading Whisper in the background (call after connecting the signals)."""
        if not self._loader.is_alive() and not self._loaded.is_set():
            self._loader.start()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until Whisper has loaded (or failed to); False on timeout."""
        return self._loaded.wait(timeout)

    @property
    def recording(self) -> bool:
        return self._stream is not None

    def press(self) -> None:
        """Open the microphone and start recording (ignored while already recording)."""
        self.start()
        if self._load_error is not None:
            self.failed.emit(f"Voice input is off: {self._load_error}")
            return
        if self._stream is not None or (self._worker is not None and self._worker.is_alive()):
            return
        self._frames = queue.Queue()
        self._cancel.clear()
        self._lost.clear()
        try:
            stream = self._input_stream(
                samplerate=WHISPER_RATE, channels=1, dtype="float32", device=self.device,
                callback=self._on_audio, finished_callback=self._on_finished,
            )
            stream.start()
        except Exception as error:  # PortAudioError, ValueError for a missing device...
            self.failed.emit(f"No microphone could be opened ({_reason(error)}); typing still works.")
            return
        self._stream = stream
        self._worker = threading.Thread(target=self._work, name="hearth-dictation", daemon=True)
        self._worker.start()
        if self._cues is not None:
            self._cues.play("start")
        self.listening.emit()

    def release(self) -> None:
        """Close the microphone after a short tail (the last syllable is still in the
        audio pipeline when the key comes up); the final transcript follows."""
        if self._stream is None:
            return
        if self._cues is not None:
            self._cues.play("stop")
        QTimer.singleShot(_TAIL_MS, self._close_stream)

    def cancel(self) -> None:
        """Close the microphone and drop the recording: no transcript is emitted."""
        self._cancel.set()
        self._close_stream()

    def shutdown(self, timeout: float = 30.0) -> None:
        self.cancel()
        if self._loader.is_alive():
            self._loader.join(timeout)
        if self._worker is not None:
            self._worker.join(timeout)

    def _load(self, load_transcriber: Callable[[], Transcriber]) -> None:
        try:
            self.transcriber = load_transcriber()
        except HearthError as error:
            self._load_error = error
            self.failed.emit(f"Voice input is off: {error}")
        finally:
            self._loaded.set()

    def _ready_transcriber(self) -> Transcriber:
        self._loaded.wait()
        if self.transcriber is None:
            raise self._load_error or HearthError("Voice input is off: no Whisper model.")
        return self.transcriber

    # -- PortAudio thread: copy and queue, nothing else ---------------------------------------

    def _on_audio(self, indata: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
        self._frames.put(indata[:, 0].copy())

    def _on_finished(self) -> None:
        if self._stream is not None:  # not closed by release()/cancel(): the device went away
            self._lost.set()
        self._frames.put(None)

    # -- worker ------------------------------------------------------------------------

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()  # calls finished_callback: the worker sees the end
            except Exception as error:
                log.warning("closing the microphone failed: %s", error)
                self._frames.put(None)

    def _work(self) -> None:
        chunks: list[np.ndarray] = []
        total = last_partial = 0
        last_level = 0.0
        try:
            while (chunk := self._frames.get()) is not None:
                chunks.append(chunk)
                total += len(chunk)
                now = time.monotonic()
                if now - last_level >= _LEVEL_EVERY_S:
                    self.levelChanged.emit(min(1.0, rms_level(chunk) * 4))
                    last_level = now
                if (total - last_partial >= _PARTIAL_EVERY_S * WHISPER_RATE and self._frames.empty()
                        and self._loaded.is_set()):
                    last_partial = total
                    partial = self._ready_transcriber().transcribe(np.concatenate(chunks), cancel=self._cancel)
                    if partial.text and not self._cancel.is_set():
                        self.partialTranscript.emit(partial.text)
            if self._cancel.is_set():
                return
            audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
            if len(audio) < _MIN_SPEECH_S * WHISPER_RATE:
                self.finalTranscript.emit("")
            else:
                self.finalTranscript.emit(self._ready_transcriber().transcribe(audio).text)
            if self._lost.is_set():
                self._close_stream()  # free the failed stream; the microphone is released
                self.failed.emit("The microphone stopped while recording (disconnected?); what it heard is kept.")
        except HearthError as error:
            self.failed.emit(str(error))
        except Exception as error:
            log.exception("dictation failed")
            self.failed.emit(f"Transcription failed: {error}")
        finally:
            self.levelChanged.emit(0.0)


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
