"""Push-to-talk: record from the microphone while a key is held, transcribe as it grows.

The PortAudio callback only copies frames into a queue. A worker thread
(`hearth-dictation`) drains it, reports the level, and streams the recording through
`StreamingTranscription`: passes while the key is held commit the words two passes
agree on (LocalAgreement-2), so at release only the unconfirmed tail is read again,
and not even that when the speaker stopped before letting go. On release the stream
is closed at once when the last 250 ms were silence, else after a 250 ms tail (the
last syllable is still in the audio pipeline), cut short when the worker finds that
tail silent; the release also wakes the worker, which reads the tail as soon as
60 ms of silence follow the last sound, so that read overlaps the tail. The
microphone is open only while recording. The stream is only ever stopped and closed
on the thread that opened it (the GUI thread): the worker asks for that through a
queued signal, because closing a PortAudio stream from two threads at once joins its
callback thread twice, which hung the tests.

Signals:
    listening(): the microphone is open and recording.
    levelChanged(float): input level in [0, 1], about 30 times a second.
    partialTranscript(str): the transcript so far, while recording.
    finalTranscript(str): the whole transcript after release ('' when no speech).
    failed(str): a one-line message (no microphone, device lost, ...); nothing else breaks.
    unavailable(str): voice input cannot work at all (the Whisper model would not load);
        the message says why. Pressing again only repeats it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop.core.audio import WHISPER_RATE, rms_level
from desktop.core.errors import HearthError
from desktop.services.speech.audio_devices import CuePlayer, device_failure
from desktop.services.speech.streaming import FinalPass, StreamingTranscription
from desktop.services.speech.transcriber import Transcriber

__all__ = ["Dictation"]

log = logging.getLogger(__name__)
_LEVEL_EVERY_S = 1 / 30
_MIN_SPEECH_S = 0.3
_TAIL_MS = 250  # recording kept after key-up, unless it ended in silence already
_BLOCK = WHISPER_RATE // 50  # 20 ms: the end of speech is seen within 20 ms (PortAudio's own choice varies)


class Dictation(QObject):
    listening = Signal()
    levelChanged = Signal(float)
    partialTranscript = Signal(str)
    finalTranscript = Signal(str)
    failed = Signal(str)
    unavailable = Signal(str)
    _closeRequested = Signal(int)  # from the worker: close that recording's stream (silent tail, lost device)

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
        self._quiet = threading.Event()  # the recording so far ends in 250 ms of silence
        self._released = threading.Event()  # the key is up; the tail is being recorded
        self._recording_id = 0
        self.last_result: FinalPass | None = None  # how the last recording was read (bench, tests)
        self._closeRequested.connect(self._close_if_current, Qt.ConnectionType.QueuedConnection)

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

    @property
    def ends_in_silence(self) -> bool:
        """Whether the recording so far ends in 250 ms of silence: `release()` then
        closes the microphone at once, with no tail to wait for. Only known while the
        worker has caught up: audio still queued may hold speech."""
        return self._quiet.is_set() and self._frames.empty()

    def press(self) -> None:
        """Open the microphone and start recording (ignored while already recording)."""
        self.start()
        if self._load_error is not None:
            self.unavailable.emit(f"Voice input is off: {self._load_error}")
            return
        if self._stream is not None or (self._worker is not None and self._worker.is_alive()):
            return
        self._frames = queue.Queue()
        self._cancel.clear()
        self._lost.clear()
        self._quiet.clear()
        self._released.clear()
        self._recording_id += 1
        self.last_result = None
        try:
            stream = self._input_stream(
                samplerate=WHISPER_RATE, channels=1, dtype="float32", device=self.device, blocksize=_BLOCK,
                callback=self._on_audio, finished_callback=self._on_finished,
            )
            stream.start()
        except Exception as error:  # PortAudioError, ValueError for a missing device...
            self.failed.emit(f"{device_failure(error, microphone=True)}. Typing still works.")
            return
        self._stream = stream
        self._worker = threading.Thread(target=self._work, args=(self._recording_id,), name="hearth-dictation",
                                        daemon=True)
        self._worker.start()
        if self._cues is not None:
            self._cues.play("start")
        self.listening.emit()

    def release(self) -> None:
        """Close the microphone; the final transcript follows. When the recording did
        not end in silence, a syllable may still be in the audio pipeline: a 250 ms
        tail is recorded first (cut short if the worker, busy reading when the key came
        up, then finds that the audio had ended in silence)."""
        if self._stream is None:
            return
        if self._cues is not None:
            self._cues.play("stop")
        self._released.set()
        if self.ends_in_silence:
            self._close_stream()
        else:
            QTimer.singleShot(_TAIL_MS, self, partial(self._close_if_current, self._recording_id))
            self._frames.put(np.zeros(0, dtype=np.float32))  # wakes the worker: the final read may start now

    def cancel(self) -> None:
        """Close the microphone and drop the recording: no transcript is emitted. Never
        blocks: the worker stops at the end of the read in progress (`wait_idle` joins it)."""
        self._cancel.set()
        self._close_stream()

    def wait_idle(self, timeout: float) -> bool:
        """Block until the last recording's worker has ended (a new `press()` is ignored
        until then); False on timeout."""
        if self._worker is not None:
            self._worker.join(timeout)
        return self._worker is None or not self._worker.is_alive()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel, then join the worker and the loader (at most `timeout` each)."""
        self.cancel()
        self.wait_idle(timeout)
        if self._loader.is_alive():
            self._loader.join(timeout)

    def _load(self, load_transcriber: Callable[[], Transcriber]) -> None:
        try:
            self.transcriber = load_transcriber()
        except HearthError as error:
            self._load_error = error
            self.unavailable.emit(f"Voice input is off: {error}")
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

    def _close_if_current(self, recording_id: int) -> None:
        if recording_id == self._recording_id:
            self._close_stream()

    def _close_stream(self) -> None:
        """GUI thread only (see the module docstring)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()  # calls finished_callback: the worker sees the end
            except Exception as error:
                log.warning("closing the microphone failed: %s", error)
                self._frames.put(None)

    def _work(self, recording_id: int) -> None:
        stream: StreamingTranscription | None = None
        last_level = 0.0
        try:
            while (chunk := self._frames.get()) is not None:
                if stream is None:
                    stream = StreamingTranscription(self._ready_transcriber, cancel=self._cancel)
                stream.append(chunk)
                now = time.monotonic()
                if len(chunk) and now - last_level >= _LEVEL_EVERY_S:
                    self.levelChanged.emit(min(1.0, rms_level(chunk) * 4))
                    last_level = now
                if not self._frames.empty():
                    self._quiet.clear()  # behind the microphone: what is queued may be speech
                    continue
                if not stream.quiet_end():
                    self._quiet.clear()
                elif not self._quiet.is_set():
                    self._quiet.set()
                    if self._released.is_set():
                        self._closeRequested.emit(recording_id)  # the tail is silence: no need to wait
                if self._loaded.is_set() and not self._cancel.is_set():
                    self._read_ahead(stream)
            if self._cancel.is_set():
                return
            self._finish(stream, recording_id)
        except HearthError as error:
            self.failed.emit(str(error))
        except Exception as error:
            log.exception("dictation failed")
            self.failed.emit(f"Transcription failed: {error}")
        finally:
            self.levelChanged.emit(0.0)

    def _read_ahead(self, stream: StreamingTranscription) -> None:
        """While the key is held: a pass when enough new speech came, or, once the
        speaker has stopped, the read the release would otherwise wait for. After the
        release only the latter: a pass then would read what the final read reads."""
        released = self._released.is_set()
        if stream.final_due(released=released):
            preview = stream.run_pass(final=True)
        elif stream.due() and not released:
            preview = stream.run_pass()
        else:
            return
        if preview and not self._cancel.is_set():
            self.partialTranscript.emit(preview)

    def _finish(self, stream: StreamingTranscription | None, recording_id: int) -> None:
        if stream is None or stream.total_samples < _MIN_SPEECH_S * WHISPER_RATE:
            self.last_result = None
            self.finalTranscript.emit("")
        else:
            self._ready_transcriber()  # raises when Whisper failed to load
            result = stream.finish()
            if self._cancel.is_set():  # cancelled during the final read
                return
            self.last_result = result
            self.finalTranscript.emit(result.text)
        if self._lost.is_set():
            self._closeRequested.emit(recording_id)  # free the failed stream (on the GUI thread)
            self.failed.emit("The microphone stopped while recording (disconnected?); what it heard is kept.")

