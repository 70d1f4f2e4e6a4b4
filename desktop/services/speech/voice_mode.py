"""Hands-free voice mode: listen, hear where the person stops, give their words, listen on.

While it is on, the microphone is open (and only then). The PortAudio callback copies
audio into a queue; a worker (`hearth-voice-mode`) measures it in 20 ms blocks. A block
is speech when it is well above the room's own level (the quietest fifth of the last
three seconds, so a fan or a hiss that goes on becomes the room) and above a floor.
100 ms of speech within 200 ms starts an utterance (with the 300 ms before it, so its first
syllable is kept; 1 s over Hearth's voice, see below); 700 ms of quiet after it ends the
utterance, which Whisper reads as a whole if Silero's voice detector (faster-whisper's)
finds speech in it. Noise gives nothing; a cough is too short to start anything.

While Hearth itself talks, its voice may reach the microphone from loudspeakers. Given
the `EchoReference` the speaker writes, each block first goes through an `EchoCanceller`,
which takes Hearth's voice out; what is left of it is then measured as before: speech
must be clearly louder than what the microphone still hears of Hearth before it counts,
and when it does, `speechStarted` lets the app stop Hearth (barge-in). The canceller
mutes most of the words said over Hearth (WebRTC's suppressor, when in doubt, takes
them for echo): 60 ms that come through start an utterance then, and it keeps the
second before it. Without the canceller (no livekit) the level comparison is all there
is, and it learns Hearth's level only once Hearth talks: the first words from
loudspeakers can interrupt Hearth (tests/integration/test_echo_cancel.py).

The stream is opened and closed on the GUI thread (as `Dictation` does, for the same
reason); the worker is joined on `stop()`.

Signals:
    listening(bool): the microphone opened (voice mode on) or closed.
    levelChanged(float): the input level in [0, 1], about 30 times a second.
    speechStarted(): the person began to speak (the moment to stop Hearth talking).
    heard(str): the words of one utterance.
    failed(str): one line (no microphone, Whisper would not load); voice mode is off then.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from desktop.core.audio import WHISPER_RATE, rms_level
from desktop.core.errors import HearthError
from desktop.services.speech.audio_devices import device_failure
from desktop.services.speech.echo_canceller import EchoCanceller, EchoReference
from desktop.services.speech.transcriber import Transcriber

__all__ = ["VoiceMode"]

log = logging.getLogger(__name__)
_BLOCK = WHISPER_RATE // 50  # 20 ms
_START_BLOCKS = 5  # 100 ms of speech within 200 ms starts an utterance (syllables have gaps)
_START_BLOCKS_OVER_HEARTH = 3  # 60 ms while Hearth talks: the canceller lets only bits of such words through
_START_WINDOW = 10
_END_BLOCKS = 35  # 700 ms of quiet ends it
_PRE_ROLL_BLOCKS = 15  # 300 ms kept from before the start
# 1 s over Hearth's cancelled voice: the canceller mutes the start of each word said over
# it, so the start is noticed later (the echo itself is gone from what is kept)
_OVER_HEARTH_PRE_ROLL_BLOCKS = 50
_MAX_UTTERANCE_S = 30.0
_FLOOR = 0.01  # -40 dBFS: quieter is never speech
_ROOM_BLOCKS = 150  # the room's level: the quiet fifth of the last 3 s
_MIN_SPEECH_S = 0.25  # less than this of voice in an utterance: not speech
_ABOVE_ROOM = 3.0  # speech is this many times the room's level
_ABOVE_ECHO = 2.5  # while Hearth talks: this many times what the microphone (cancelled) hears of it
_LEVEL_EVERY = 2  # blocks between level reports: every 40 ms


class VoiceMode(QObject):
    listening = Signal(bool)
    levelChanged = Signal(float)
    speechStarted = Signal()
    heard = Signal(str)
    failed = Signal(str)
    _closeRequested = Signal()

    def __init__(self, load_transcriber: Callable[[], Transcriber], *, device: str | int | None = None,
                 input_stream: Callable[..., Any] | None = None, echo: EchoReference | None = None) -> None:
        """`echo`: what Hearth plays (the speaker writes it); without it, no echo cancellation."""
        super().__init__()
        self._load_transcriber = load_transcriber
        self.transcriber: Transcriber | None = None
        self.device = device
        self._input_stream = input_stream or _sounddevice_stream
        self._echo = echo
        self._stream: Any = None
        self._blocks: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._hearth_speaking = False
        self._closeRequested.connect(self.stop, Qt.ConnectionType.QueuedConnection)

    @property
    def active(self) -> bool:
        return self._stream is not None

    def start(self) -> None:
        """Open the microphone and listen (GUI thread; ignored while on)."""
        if self._stream is not None:
            return
        self._blocks = queue.Queue()
        try:
            stream = self._input_stream(samplerate=WHISPER_RATE, channels=1, dtype="float32", device=self.device,
                                        blocksize=_BLOCK, callback=self._on_audio)
            stream.start()
        except Exception as error:  # PortAudioError, a missing device...
            self.failed.emit(f"{device_failure(error, microphone=True)}. Voice mode is off.")
            return
        self._stream = stream
        self._worker = threading.Thread(target=self._work, name="hearth-voice-mode", daemon=True)
        self._worker.start()
        self.listening.emit(True)

    def stop(self) -> None:
        """Close the microphone and join the worker (GUI thread; idempotent)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as error:
                log.warning("closing the microphone failed: %s", error)
        self._blocks.put(None)
        if self._worker is not None:
            self._worker.join(60)  # a read in progress finishes first (bounded by Whisper's own limits)
            self._worker = None
        if stream is not None:
            self.listening.emit(False)

    def set_hearth_speaking(self, speaking: bool) -> None:
        """Hearth's own voice may now be in the microphone: speech must be louder."""
        self._hearth_speaking = speaking

    # -- PortAudio thread: copy and queue ---------------------------------------------

    def _on_audio(self, indata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
        """Each block with when it arrived, less its length (for the echo canceller)."""
        self._blocks.put((indata[:, 0].copy(), time.monotonic() - frames / WHISPER_RATE))

    # -- worker --------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            self.transcriber = self.transcriber or self._load_transcriber()
        except HearthError as error:
            self.failed.emit(f"Voice mode is off: {error}")
            self._closeRequested.emit()
            return
        canceller = EchoCanceller(self._echo) if self._echo is not None else None
        levels: collections.deque[float] = collections.deque(maxlen=_ROOM_BLOCKS)  # the last 3 s
        echo = 0.0
        before: collections.deque[np.ndarray] = collections.deque(maxlen=_OVER_HEARTH_PRE_ROLL_BLOCKS)
        utterance: list[np.ndarray] = []
        recent: collections.deque[bool] = collections.deque(maxlen=_START_WINDOW)  # loud or not, lately
        quiet_run = count = 0
        pending, pending_at = np.zeros(0, dtype=np.float32), 0.0  # when its first sample arrived
        while (item := self._blocks.get()) is not None:
            chunk, chunk_at = item
            pending_at = pending_at if len(pending) else chunk_at
            pending = np.concatenate([pending, chunk])
            while len(pending) >= _BLOCK:
                block, pending = pending[:_BLOCK], pending[_BLOCK:]
                if canceller is not None:
                    block = canceller.process(block, pending_at)
                pending_at += _BLOCK / WHISPER_RATE
                level = rms_level(block)
                levels.append(level)
                count += 1
                if count % _LEVEL_EVERY == 0:
                    self.levelChanged.emit(min(1.0, level * 4))
                room = float(np.percentile(levels, 20))  # a fan or a hiss that goes on is the room
                threshold = max(_FLOOR, room * _ABOVE_ROOM, echo * _ABOVE_ECHO)
                loud = level > threshold
                if not utterance:
                    before.append(block)
                    recent.append(loud)
                    if not self._hearth_speaking:
                        echo = 0.0
                    elif not loud:
                        echo = echo * 0.98 + level * 0.02  # what the microphone hears of Hearth, over ~1 s
                    over_hearth = self._hearth_speaking and canceller is not None and canceller.active
                    if sum(recent) >= (_START_BLOCKS_OVER_HEARTH if over_hearth else _START_BLOCKS):
                        utterance = list(before)[-_OVER_HEARTH_PRE_ROLL_BLOCKS if over_hearth else -_PRE_ROLL_BLOCKS:]
                        quiet_run = 0
                        self.speechStarted.emit()
                    continue
                utterance.append(block)
                quiet_run = 0 if loud else quiet_run + 1
                if quiet_run >= _END_BLOCKS or len(utterance) * _BLOCK >= _MAX_UTTERANCE_S * WHISPER_RATE:
                    self._read(np.concatenate(utterance))
                    utterance, quiet_run = [], 0
                    before.clear()
                    recent.clear()

    def _read(self, samples: np.ndarray) -> None:
        """Whisper reads the utterance, if Silero's voice detector finds speech in it:
        loud noise (a door, a hiss) would otherwise come back as invented words."""
        from faster_whisper.vad import get_speech_timestamps

        assert self.transcriber is not None
        spoken = sum(t["end"] - t["start"] for t in get_speech_timestamps(samples)) / WHISPER_RATE
        if spoken < _MIN_SPEECH_S:
            return
        try:
            text = self.transcriber.transcribe(samples).text.strip()
        except HearthError as error:
            self.failed.emit(str(error))
            return
        if text:
            self.heard.emit(text)


def _sounddevice_stream(**options: Any) -> Any:
    import sounddevice

    return sounddevice.InputStream(**options)
