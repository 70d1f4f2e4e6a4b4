"""Streaming transcription of a recording that is still growing (push-to-talk).

While the key is held, passes read the recording with word times and LocalAgreement-2
commits the words two consecutive passes agree on, once a pass has heard two seconds
past them. The recording before the committed words is then done with: later passes,
and the final one at release, read only the last of it, from the quietest place (a
pause between words, where there is one) within a second before the point two seconds
before the unconfirmed words (tiny.en misreads a clip that starts cold mid-sentence);
the words they read again are dropped. Over 24 espeak-ng clips a 1 s search made 12%
fewer word errors than a 0.5 s one, for reads 0.15 s longer on average. (Starting
only at pauses made reads of up to 7 s: espeak-ng, like many fluent speakers, pauses
mainly at commas.) Unlike whisper_streaming, no committed
text is given as Whisper's prompt: with tiny.en in a fitted window it made reads twice
as slow (". . ." after the last word) and, with greedy decoding, loop until the token
limit. Every read ends a fifth of a second after the last sound, so silence before the
key comes up is not read; and when a read has already covered what the final read
would (from the same start, through the last sound and 60 ms of the silence after it:
the speaker stopped before letting go, or stopped as the key came up and the worker
read at once), its words are the final ones and nothing is left to do when the
microphone closes. A sound after that read makes the final read happen anyway.

Reads use Whisper's fitted window (see `transcriber`) and beam 5. Greedy decoding was
measured for the tail and was not as accurate: over twelve espeak-ng sentences it made
20% more word errors streamed and 60% more on whole clips.

No Qt here: `Dictation` drives this from its worker thread; tests and `hearth bench`
can drive it directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from desktop.core.audio import WHISPER_RATE, rms_level
from desktop.core.local_agreement import LocalAgreement, TimedWord, join_words
from desktop.services.speech.transcriber import TranscribeOptions, Transcriber

__all__ = ["FinalPass", "StreamingTranscription"]

PASS_EVERY_S = 0.5  # new audio between passes while the key is held
QUIET_S = 0.25  # this much silence at the end: the speaker has stopped, no tail to wait for
_FIRST_PASS_S = 1.0  # a shorter start holds too little of a sentence to agree on
_END_PAD_S = 0.2  # audio read after the last sound; and, while the key is held, the silence that ends speech
_RELEASED_QUIET_S = 0.06  # once the key is up, this much silence after the last sound ends it (a sound
# after it costs a second read, never a word)
_PAUSE_S = 0.1  # a silence this long between words is a place to cut the recording
_CONTEXT_S = 2.0  # a read starts at least this long before the unconfirmed words
_SEEK_S = 1.0  # at the quietest place (a pause between words, if any) within this much before that
_SETTLE_S = 2.0  # a word is committed once a pass has heard this far past it
_CUT_SLACK_S = 0.15  # Whisper's word ends wander this much around the real ones
_MIN_READ_S = 0.3  # shorter audio holds no word
_BLOCK = WHISPER_RATE // 50  # the level is measured over 20 ms blocks
_FLOOR = 0.005  # -46 dBFS: quieter blocks are silence, however quiet the speaker
_BELOW_PEAK = 0.1  # and blocks 20 dB below the loudest one heard (room noise between words)
_OPTIONS = TranscribeOptions(beam_size=5, word_timestamps=True, fitted_window=True)


@dataclass(frozen=True)
class FinalPass:
    """The outcome of a push-to-talk recording, and what its last read had to do."""

    text: str
    total_samples: int  # the whole recording
    read_from: int  # the final read's audio: [read_from, read_to) of the recording
    read_to: int
    committed_words: int  # words committed while the key was held
    passes: int  # reads while the key was held
    ahead: bool  # a pass had already read exactly this audio: nothing was left at release

    @property
    def tail_samples(self) -> int:
        return self.read_to - self.read_from


class StreamingTranscription:
    """One recording, fed in chunks from one worker thread. `transcriber` is called for
    the model at each read (Dictation's waits for Whisper to load: the person can start
    speaking at once)."""

    def __init__(self, transcriber: Callable[[], Transcriber], *, cancel: threading.Event | None = None) -> None:
        self._transcriber = transcriber
        self._cancel = cancel
        self._chunks: list[np.ndarray] = []
        self._audio = np.zeros(0, dtype=np.float32)
        self._total = 0
        self._pending = np.zeros(0, dtype=np.float32)  # the start of a 20 ms block
        self._peak = 0.0
        self._last_loud = 0  # the end of the last block of sound (0: none yet)
        self._silent_from: int | None = None  # where the silence now running began
        self._pauses = [0]  # the middles of silences between words, where reads may start
        self._levels: list[float] = []  # the level of each 20 ms block
        self._cut = 0  # the committed words end about here
        self._last_pass = 0  # the recording's length at the last pass
        self._read: tuple[tuple[int, int], list[TimedWord]] | None = None  # the last read's audio, words
        self.agreement = LocalAgreement()
        self.passes = 0

    @property
    def total_samples(self) -> int:
        return self._total

    def append(self, chunk: np.ndarray) -> None:
        self._chunks.append(chunk.astype(np.float32, copy=False))
        self._total += len(chunk)
        self._measure(chunk)

    def quiet_end(self, seconds: float = QUIET_S) -> bool:
        """Whether the recording ends in at least `seconds` of silence."""
        return self._total - self._last_loud >= seconds * WHISPER_RATE

    def due(self) -> bool:
        """Time for a pass: enough new audio, with sound in it."""
        return (self._total >= _FIRST_PASS_S * WHISPER_RATE and self._last_loud > self._last_pass
                and self._total - self._last_pass >= PASS_EVERY_S * WHISPER_RATE)

    def final_due(self, *, released: bool = False) -> bool:
        """The speaker has stopped and no read covers what the final one would read:
        reading it now leaves nothing for `finish`. While the key is held that takes
        200 ms of silence (shorter pauses come between words); once it is up, 60 ms."""
        start, end = self._span()
        quiet = _RELEASED_QUIET_S if released else _END_PAD_S
        return self.quiet_end(quiet) and end - start >= _MIN_READ_S * WHISPER_RATE and not self._covered(start)

    def run_pass(self, *, final: bool = False) -> str:
        """Read from the last cut, commit what agrees with the pass before; returns the
        transcript so far (committed and tentative words), for a live preview. A `final`
        read (see `final_due`) keeps the cut where it is, so `finish` can take its words."""
        self._last_pass = self._total
        start, end = self._span()
        words = self._read_span(start, end)
        if words is None:
            return self.agreement.text()
        self.passes += 1
        self.agreement.insert(words, settled_s=end / WHISPER_RATE - _SETTLE_S)
        if not final:
            self._advance_cut()
        return self.agreement.text()

    def finish(self) -> FinalPass:
        """The whole transcript: the committed words, then the final read's."""
        start, end = self._span()
        words: list[TimedWord] = []
        ahead = self._read is not None and self._covered(start)
        if ahead and self._read is not None:
            (start, end), words = self._read
        elif end - start >= _MIN_READ_S * WHISPER_RATE and self._last_loud > start:
            words = self._read_span(start, end) or []
        return FinalPass(text=join_words(self.agreement.finish(words)), total_samples=self._total,
                         read_from=start, read_to=end, committed_words=len(self.agreement.committed),
                         passes=self.passes, ahead=ahead)

    def _covered(self, start: int) -> bool:
        """Whether the last read is as good as the final one: it began at `start` and
        went on to 60 ms past the last sound (or to the end of the recording), so
        nothing after it but silence."""
        if self._read is None:
            return False
        read_from, read_to = self._read[0]
        return read_from == start and read_to >= min(self._total,
                                                     self._last_loud + round(_RELEASED_QUIET_S * WHISPER_RATE))

    def _span(self) -> tuple[int, int]:
        """What a read covers now: from `_CONTEXT_S` before the cut (or the start) to
        just after the last sound. The read starts at the quietest place within
        `_SEEK_S` before that point, a pause between words where there is one."""
        context = self._cut - round(_CONTEXT_S * WHISPER_RATE)
        start = 0 if context <= 0 else self._quiet_place(context)
        end = min(self._total, self._last_loud + round(_END_PAD_S * WHISPER_RATE)) if self._last_loud else 0
        return start, max(start, end)

    def _quiet_place(self, before: int) -> int:
        earliest = max(0, before - round(_SEEK_S * WHISPER_RATE))
        pauses = [p for p in self._pauses if earliest <= p <= before]
        if pauses:
            return pauses[-1]
        first, last = earliest // _BLOCK, max(earliest // _BLOCK, before // _BLOCK - 1)
        blocks = self._levels[first: last + 1]
        if not blocks:
            return earliest
        quietest = first + min(range(len(blocks)), key=lambda i: (blocks[i], -i))
        return quietest * _BLOCK + _BLOCK // 2

    def _advance_cut(self) -> None:
        """Move the cut to the end of the committed words."""
        if self.agreement.committed:
            reached = round((self.agreement.committed_end_s + _CUT_SLACK_S) * WHISPER_RATE)
            self._cut = max(self._cut, min(reached, self._total))

    def _read_span(self, start: int, end: int) -> list[TimedWord] | None:
        """The words of the recording's [start, end), in recording time; None when cancelled."""
        if end - start < _MIN_READ_S * WHISPER_RATE:
            return []
        transcript = self._transcriber().transcribe(self._samples()[start:end], cancel=self._cancel, options=_OPTIONS)
        if transcript.cancelled:
            return None
        offset = start / WHISPER_RATE
        words = [replace(w, start_s=w.start_s + offset, end_s=w.end_s + offset) for w in transcript.words
                 if any(c.isalnum() for c in w.text)]  # not the ". . ." Whisper adds after the last word
        self._read = ((start, end), words)
        return words

    def _samples(self) -> np.ndarray:
        if self._chunks:
            self._audio = np.concatenate([self._audio, *self._chunks])
            self._chunks.clear()
        return self._audio

    def _measure(self, chunk: np.ndarray) -> None:
        """Follow the level in 20 ms blocks: the last sound, and the pauses between words."""
        pending = np.concatenate([self._pending, chunk]) if len(self._pending) else chunk
        whole = len(pending) - len(pending) % _BLOCK
        start = self._total - len(pending)
        for offset in range(0, whole, _BLOCK):
            level = rms_level(pending[offset: offset + _BLOCK])
            self._levels.append(level)
            self._peak = max(self._peak, level)
            if level <= max(_FLOOR, _BELOW_PEAK * self._peak):
                if self._silent_from is None:
                    self._silent_from = start + offset
                continue
            here = start + offset
            silence = here - self._silent_from if self._silent_from is not None else 0
            if self._last_loud and silence >= _PAUSE_S * WHISPER_RATE:
                self._pauses.append(here - silence // 2)
            self._silent_from = None
            self._last_loud = here + _BLOCK
        self._pending = pending[whole:]
