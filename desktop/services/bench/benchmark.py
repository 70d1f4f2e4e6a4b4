"""Measurements for `hearth bench`: Hearth's engine against raw llama.cpp on the same
model in the same run, image follow-ups, and Whisper.

"Raw" is llama.cpp through llama-cpp-python's low-level API (`llama_decode` on a batch,
a greedy sampler), with no Hearth code in the loop: the same library, the same
threads, the same model, in a process of its own (`raw_llama_peer` says why).
"Native" is llama.cpp's own llama-bench built for this CPU (`native_llama_bench`), on
the same shapes (the prompt's tokens, then decoding at that depth) and threads: the
best peer. Repetitions alternate Hearth, raw and native so all see the same machine
state; medians are reported.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer, EngineConfig, GenerationOptions
from desktop.services.bench.native_llama_bench import run_native_bench
from desktop.services.bench.raw_llama_peer import run_raw_peer
from desktop.services.engines.llama_loader import default_threads
from desktop.services.engines.llm_engine import LlmEngine

__all__ = ["EngineFigures", "ImageFigures", "SpeechFigures", "measure_engine", "measure_images", "measure_speech"]

_CONTEXT = (
    "The lighthouse stood on a rock at the mouth of the harbour. Every night its keeper climbed the "
    "spiral stairs, trimmed the wick, wound the clockwork that turned the lens, and wrote the weather "
    "in a book: wind, sea, visibility, the ships that passed. "
) * 4  # about 240 tokens: a prefill long enough to time
_PROMPT = _CONTEXT + "Now count from one to two hundred in words, separated by commas, without stopping."
_READING_S = 1.0  # how long the bench "reads" an answer before a follow-up


@dataclass(frozen=True)
class EngineFigures:
    hearth_prefill_tps: float
    raw_prefill_tps: float
    hearth_decode_tps: float
    raw_decode_tps: float
    prompt_tokens: int
    decode_tokens: int
    repetitions: int
    native_prefill_tps: float | None = None  # None: no native llama-bench was given
    native_decode_tps: float | None = None


@dataclass(frozen=True)
class ImageFigures:
    first_ttft_s: float
    follow_up_ttft_s: float  # asked after reading the answer
    at_once_ttft_s: float  # a follow-up asked the moment the answer ended (typed ahead)
    image_tokens: int
    encode_s: float


@dataclass(frozen=True)
class SpeechFigures:
    audio_s: float
    transcribe_s: float
    text: str  # the whole clip transcribed at once (beam 5, 30 s window): push-to-talk's yardstick


def measure_engine(model: Path, *, repetitions: int = 3, decode_tokens: int = 64, gpu: bool = True,
                   native: Path | None = None) -> EngineFigures:
    config = EngineConfig(model_path=model, n_ctx=2048, gpu_offload=gpu)
    engine = LlmEngine(config)
    try:
        hearth_prefill, hearth_decode, raw_prefill, raw_decode = [], [], [], []
        native_prefill: list[float] = []
        native_decode: list[float] = []
        prompt_tokens = 0
        threads = default_threads()
        for repetition in range(repetitions + 1):  # the first round warms Hearth up and is dropped
            question = f"[{repetition}-{time.perf_counter_ns()}] {_PROMPT}"  # a new prefix: nothing reused
            answer = engine.ask([Message.user(question)], system_prompt=None,
                                options=GenerationOptions(temperature=0.0, max_tokens=decode_tokens)).result()
            prompt_tokens = answer.stats.prefill_tokens
            if not repetition:
                continue
            hearth_prefill.append(answer.stats.prefill_tps)
            hearth_decode.append(answer.stats.decode_tps)
            raw = run_raw_peer(model, question, prompt_tokens=prompt_tokens, decode_tokens=decode_tokens,
                               threads=threads, gpu=gpu)
            raw_prefill.append(raw.prefill_tps)
            raw_decode.append(raw.decode_tps)
            if native is not None:
                peer = run_native_bench(native, model, prompt_tokens=prompt_tokens, decode_tokens=decode_tokens,
                                        threads=threads, gpu=gpu)
                native_prefill.append(peer.prefill_tps)
                native_decode.append(peer.decode_tps)
        return EngineFigures(
            hearth_prefill_tps=statistics.median(hearth_prefill), raw_prefill_tps=statistics.median(raw_prefill),
            hearth_decode_tps=statistics.median(hearth_decode), raw_decode_tps=statistics.median(raw_decode),
            prompt_tokens=prompt_tokens, decode_tokens=decode_tokens, repetitions=repetitions,
            native_prefill_tps=statistics.median(native_prefill) if native_prefill else None,
            native_decode_tps=statistics.median(native_decode) if native_decode else None,
        )
    finally:
        engine.close()


def measure_images(model: Path, mmproj: Path, image: Attachment, *, gpu: bool = True) -> ImageFigures:
    """Time to the first text, from the question being asked, of a first question about an
    image, of a follow-up asked after reading the answer, and of one asked at once."""
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj, n_ctx=4096, gpu_offload=gpu))
    try:
        engine.wait_ready()
        history = [Message.user("What is in this picture?", (image,))]
        first, first_ttft = _timed_answer(engine, history)
        history += [Message.assistant(first.text), Message.user("And what colours does it have?")]
        time.sleep(_READING_S)  # a person reads the answer before asking again
        follow_up, follow_up_ttft = _timed_answer(engine, history)
        history += [Message.assistant(follow_up.text), Message.user("Is there any writing in it?")]
        _, at_once_ttft = _timed_answer(engine, history)
        return ImageFigures(first_ttft_s=first_ttft, follow_up_ttft_s=follow_up_ttft, at_once_ttft_s=at_once_ttft,
                            image_tokens=first.stats.image_tokens, encode_s=first.stats.image_encode_s)
    finally:
        engine.close()


def _timed_answer(engine: LlmEngine, history: list[Message]) -> tuple[Answer, float]:
    """The answer, and the seconds from asking to its first text (waiting included)."""
    asked = time.perf_counter()
    stream = engine.ask(history, options=GenerationOptions(temperature=0.0, max_tokens=8))
    shown = None
    for _ in stream:
        shown = shown or time.perf_counter()
    answer = stream.result()
    return answer, (shown or asked + answer.stats.ttft_s) - asked


def measure_speech(whisper: Path, samples: np.ndarray) -> SpeechFigures:
    from desktop.services.speech.transcriber import Transcriber  # faster-whisper: only for the speech figures

    transcriber = Transcriber(whisper)
    try:
        transcriber.transcribe(samples[: 16_000])  # warm-up
        started = time.perf_counter()
        whole = transcriber.transcribe(samples)
        took = time.perf_counter() - started
    finally:
        transcriber.close()
    return SpeechFigures(audio_s=len(samples) / 16_000, transcribe_s=took, text=whole.text)
