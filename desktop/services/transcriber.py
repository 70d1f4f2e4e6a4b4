"""Speech to text with faster-whisper, from a local CTranslate2 model folder only.

int8 on CPU, float16 on CUDA. Silero VAD is on, so silence and noise give no text at
all (Whisper alone invents "Thank you." there). English-only models (`*.en`) are told
the language; multilingual ones detect it. Segments are consumed here, inside the
caller's worker thread, and a cancel event is checked between segments.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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

__all__ = ["Transcriber", "Transcript", "TranscriptSegment"]

log = logging.getLogger(__name__)


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

    @property
    def real_time_factor(self) -> float:
        return self.transcribe_s / self.audio_s if self.audio_s > 0 else 0.0


class Transcriber:
    """A loaded Whisper model. Use from one worker thread at a time; `close()` frees it."""

    def __init__(self, model_dir: Path, *, device: str = "auto", cpu_threads: int = 0) -> None:
        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").exists():
            raise ModelFileError(
                f"{model_dir} is not a CTranslate2 Whisper model folder (no model.bin)."
            )
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        self.device = device
        self.compute_type = "float16" if device == "cuda" else "int8"
        self.model_dir = model_dir
        try:
            self._model: WhisperModel | None = WhisperModel(
                str(model_dir), device=device, compute_type=self.compute_type,
                cpu_threads=cpu_threads, local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelFileError(f"The Whisper model in {model_dir} could not be loaded: {error}") from error
        self.multilingual = bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        language: str | None = None,
        cancel: threading.Event | None = None,
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples."""
        if self._model is None:
            raise RuntimeError("transcriber is closed")
        if samples.ndim != 1 or len(samples) == 0:
            raise AudioError("The recording is empty: no audio to transcribe.")
        started = time.perf_counter()
        if not self.multilingual:
            language = "en"
        segments, info = self._model.transcribe(
            samples.astype(np.float32, copy=False),
            language=language,
            vad_filter=True,
            beam_size=5,
            condition_on_previous_text=False,
        )
        collected: list[TranscriptSegment] = []
        cancelled = False
        for segment in segments:  # decoding happens lazily, here
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            collected.append(TranscriptSegment(segment.start, segment.end, segment.text.strip()))
        text = " ".join(s.text for s in collected if s.text).strip()
        return Transcript(
            text=text,
            language=info.language,
            language_probability=float(info.language_probability),
            audio_s=duration_s(samples, WHISPER_RATE),
            transcribe_s=time.perf_counter() - started,
            segments=tuple(collected),
            cancelled=cancelled,
        )

    def close(self) -> None:
        self._model = None  # CTranslate2 frees the model when the last reference goes
