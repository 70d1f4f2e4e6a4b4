"""Speech to text with faster-whisper, from a local CTranslate2 model folder only.

int8 on CPU, float16 on CUDA. Silero VAD is on, so silence and noise give no text at
all (Whisper alone invents "Thank you." there). English-only models (`*.en`) are told
the language; multilingual ones detect it. Segments are consumed here, inside the
caller's worker thread, and a cancel event is checked between segments.

Whisper's encoder reads a 30 s window whatever the clip's length; on a small CPU that
window alone costs about half a second, more than push-to-talk may take after the key
comes up. `TranscribeOptions(fitted_window=True)` encodes only the speech plus 2 s of
the padding Whisper knows (CTranslate2 accepts the shorter input): a 2 s clip encodes
about ten times faster. Without the padding tiny.en repeats itself; with it the word
error rate on the bench's and tests' sentences matched the 30 s window's. Whole-clip
transcription (`hearth ask --audio`, the API) keeps the 30 s window.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ONNX Runtime (which runs faster-whisper's Silero VAD) otherwise keeps a device id and an
# event database under ~/.cache/Microsoft and, about ten seconds after its first session,
# sends usage telemetry to mobile.events.data.microsoft.com. Read when its first session is
# made, so set before faster-whisper can make one. Offline means offline.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel

from desktop.core.audio import WHISPER_RATE, duration_s
from desktop.core.errors import AudioError, ModelFileError
from desktop.core.local_agreement import TimedWord
from desktop.services.speech.whisper_folder import whisper_folder_problem

__all__ = ["TranscribeOptions", "Transcriber", "Transcript", "TranscriptSegment", "cpu_threads_for"]

log = logging.getLogger(__name__)
_WINDOW_FRAMES = 3000  # Whisper's 30 s window, in 10 ms mel frames
_FITTED_PAD_FRAMES = 200  # 2 s of padding after the speech in a fitted window
_FITTED_MIN_FRAMES = 1000  # and 10 s at least: shorter windows made tiny.en repeat itself
_ONE_THREAD_BELOW = 100_000_000  # bytes of model.bin: tiny (73 MB) decodes fastest on one CPU thread


@dataclass(frozen=True)
class TranscribeOptions:
    """How one pass reads the audio; the defaults are whole-clip transcription."""

    beam_size: int = 5  # 1 is greedy decoding
    word_timestamps: bool = False  # fills `Transcript.words` (streaming needs word times)
    fitted_window: bool = False  # encode the speech + 2 s, not 30 s (see the module docstring)


@dataclass(frozen=True)
class TranscriptSegment:
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str  # '' when no speech was heard
    language: str
    language_probability: float
    audio_s: float
    transcribe_s: float
    segments: tuple[TranscriptSegment, ...]
    cancelled: bool = False
    words: tuple[TimedWord, ...] = ()  # with `word_timestamps`, in seconds from the clip's start

    @property
    def real_time_factor(self) -> float:
        return self.transcribe_s / self.audio_s if self.audio_s > 0 else 0.0


class Transcriber:
    """A loaded Whisper model. Use from one worker thread at a time; `close()` frees it."""

    def __init__(self, model_dir: Path, *, device: str = "auto", cpu_threads: int | None = None) -> None:
        """`cpu_threads` None: see `cpu_threads_for`; 0: CTranslate2's default."""
        model_dir = Path(model_dir)
        problem = whisper_folder_problem(model_dir.resolve())  # a chosen link is followed, as for files
        if problem:
            raise ModelFileError(problem)
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        self.device = device
        self.compute_type = "float16" if device == "cuda" else "int8"
        self.model_dir = model_dir
        try:
            self._model: _Whisper | None = _Whisper(
                str(model_dir), device=device, compute_type=self.compute_type,
                cpu_threads=cpu_threads_for(model_dir) if cpu_threads is None else cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelFileError(f"The Whisper model in {model_dir} could not be loaded: {error}") from error
        self._fitted: _Whisper | None = self._model.fitted()
        self.multilingual = bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        language: str | None = None,
        cancel: threading.Event | None = None,
        options: TranscribeOptions = TranscribeOptions(),  # frozen: one shared default is safe
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples."""
        model = self._fitted if options.fitted_window else self._model
        if model is None:
            raise RuntimeError("transcriber is closed")
        if samples.ndim != 1 or len(samples) == 0:
            raise AudioError("The recording is empty: no audio to transcribe.")
        started = time.perf_counter()
        if not self.multilingual:
            language = "en"
        segments, info = model.transcribe(
            samples.astype(np.float32, copy=False),
            language=language,
            vad_filter=True,
            beam_size=options.beam_size,
            condition_on_previous_text=False,
            word_timestamps=options.word_timestamps,
            max_new_tokens=_token_cap(samples) if options.fitted_window else None,
        )
        collected: list[TranscriptSegment] = []
        words: list[TimedWord] = []
        cancelled = False
        for segment in segments:  # decoding happens lazily, here
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            collected.append(TranscriptSegment(segment.start, segment.end, segment.text.strip()))
            words += [TimedWord(w.start, w.end, w.word.strip(), joined=not w.word[:1].isspace())
                      for w in segment.words or () if w.word.strip()]
        text = " ".join(s.text for s in collected if s.text).strip()
        return Transcript(
            text=text,
            language=info.language,
            language_probability=float(info.language_probability),
            audio_s=duration_s(samples, WHISPER_RATE),
            transcribe_s=time.perf_counter() - started,
            segments=tuple(collected),
            cancelled=cancelled,
            words=tuple(words),
        )

    def close(self) -> None:
        self._model = self._fitted = None  # CTranslate2 frees the model when the last reference goes


def cpu_threads_for(model_dir: Path) -> int:
    """One thread for a tiny model, else CTranslate2's default (0). A tiny model's
    matrices are too small for threads to pay: on a 2-core machine tiny.en read a 5 s
    clip in 0.24 s on one thread against 0.34 s on two, and a 10 s clip whole in 0.78 s
    against 0.90 s (median of 5 reads each). Push-to-talk's release-to-text is one such read."""
    try:
        size = (model_dir / "model.bin").stat().st_size
    except OSError:
        return 0
    return 1 if size < _ONE_THREAD_BELOW else 0


def _token_cap(samples: np.ndarray) -> int:
    """Speech is under 4 tokens a second (espeak-ng at 175 words a minute: 3.5): a read
    that goes on much longer is repeating itself, which tiny.en did for up to 17 s in a
    fitted window. Capped, such a read costs a fraction of a second."""
    return 16 + math.ceil(10 * duration_s(samples, WHISPER_RATE))


class _Whisper(WhisperModel):
    """faster-whisper's model; its `fitted()` twin (the same CTranslate2 model) encodes
    each window cut to the speech + 2 s instead of padded to 30 s."""

    fit_window = False

    def fitted(self) -> _Whisper:
        twin = copy.copy(self)  # shares the loaded model, the tokenizer and the feature extractor
        twin.fit_window = True
        return twin

    def encode(self, features: np.ndarray) -> Any:
        """faster-whisper pads each window's mel frames to 30 s with zero columns: cut
        them to 2 s. (Trailing audio whose columns are all zeros reads exactly like the
        padding, so cutting it changes nothing the encoder could tell apart.)"""
        if self.fit_window and features.shape[-1] == _WINDOW_FRAMES:
            filled = np.flatnonzero(np.any(features.reshape(-1, _WINDOW_FRAMES) != 0, axis=0))
            content = int(filled[-1]) + 1 if len(filled) else 0
            features = features[..., : min(_WINDOW_FRAMES, max(_FITTED_MIN_FRAMES, content + _FITTED_PAD_FRAMES))]
        return super().encode(features)
