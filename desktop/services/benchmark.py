"""Measurements for `hearth bench`: Hearth's engine against raw llama.cpp on the same
model in the same run, image follow-ups, and Whisper.

"Raw" is llama.cpp through llama-cpp-python's low-level API (`llama_decode` on a batch,
a greedy sampler), with no Hearth code in the loop: the same library, the same
threads, the same model. "Native" is llama.cpp's own llama-bench built for this CPU
(`native_llama_bench`), on the same shapes (the prompt's tokens, then decoding at that
depth) and threads: the best peer. Repetitions alternate Hearth, raw and native so all
see the same machine state; medians are reported.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp import Llama

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import EngineConfig, GenerationOptions
from desktop.services.llama_loader import default_threads
from desktop.services.llm_engine import LlmEngine
from desktop.services.native_llama_bench import run_native_bench

__all__ = ["EngineFigures", "ImageFigures", "SpeechFigures", "measure_engine", "measure_images", "measure_speech"]

_CONTEXT = (
    "The lighthouse stood on a rock at the mouth of the harbour. Every night its keeper climbed the "
    "spiral stairs, trimmed the wick, wound the clockwork that turned the lens, and wrote the weather "
    "in a book: wind, sea, visibility, the ships that passed. "
) * 4  # about 240 tokens: a prefill long enough to time
_PROMPT = _CONTEXT + "Now count from one to two hundred in words, separated by commas, without stopping."


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
    follow_up_ttft_s: float
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
    raw: Llama | None = None
    try:
        engine.wait_ready()  # before the raw load: llama-cpp-python silences fds 1/2 while loading
        raw = Llama(str(model), n_ctx=2048, n_threads=default_threads(), n_gpu_layers=-1 if gpu else 0,
                    n_batch=2048, n_ubatch=512, flash_attn=True, verbose=False)  # as Hearth and llama-bench run
        hearth_prefill, hearth_decode, raw_prefill, raw_decode = [], [], [], []
        native_prefill: list[float] = []
        native_decode: list[float] = []
        prompt_tokens = 0
        for repetition in range(repetitions + 1):  # the first round warms both up and is dropped
            question = f"[{repetition}-{time.perf_counter_ns()}] {_PROMPT}"  # a new prefix: nothing reused
            answer = engine.ask([Message.user(question)], system_prompt=None,
                                options=GenerationOptions(temperature=0.0, max_tokens=decode_tokens)).result()
            prompt_tokens = answer.stats.prefill_tokens
            tokens = raw.tokenize(question.encode(), add_bos=True)[:prompt_tokens]
            tokens += [tokens[-1]] * (prompt_tokens - len(tokens))  # the same length as Hearth's prompt
            prefill_tps, decode_tps = _raw_turn(raw, tokens, decode_tokens)
            if repetition:
                hearth_prefill.append(answer.stats.prefill_tps)
                hearth_decode.append(answer.stats.decode_tps)
                raw_prefill.append(prefill_tps)
                raw_decode.append(decode_tps)
                if native is not None:
                    peer = run_native_bench(native, model, prompt_tokens=prompt_tokens, decode_tokens=decode_tokens,
                                            threads=default_threads(), gpu=gpu)
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
        if raw is not None:
            raw.close()


def _raw_turn(raw: Llama, tokens: list[int], decode_tokens: int) -> tuple[float, float]:
    """Prefill `tokens` and decode greedily with llama.cpp's C API only."""
    ctx = raw._ctx.ctx
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
    chunks = [tokens[start:start + raw.n_batch] for start in range(0, len(tokens), raw.n_batch)]
    arrays = [(llama_cpp.llama_token * len(chunk))(*chunk) for chunk in chunks]
    started = time.perf_counter()
    for array in arrays:  # in n_batch pieces, as llama.cpp's own tools prefill
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(array, len(array))) != 0:
            raise RuntimeError("llama_decode failed during the raw prefill")
    prefilled = time.perf_counter()
    sampler = llama_cpp.llama_sampler_init_greedy()
    one = (llama_cpp.llama_token * 1)()
    try:
        token = llama_cpp.llama_sampler_sample(sampler, ctx, -1)  # the first token closes the prefill
        first = time.perf_counter()
        for _ in range(decode_tokens - 1):
            one[0] = token
            if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1)) != 0:
                raise RuntimeError("llama_decode failed during the raw decode")
            token = llama_cpp.llama_sampler_sample(sampler, ctx, -1)
        ended = time.perf_counter()
    finally:
        llama_cpp.llama_sampler_free(sampler)
    return len(tokens) / (prefilled - started), (decode_tokens - 1) / (ended - first)


def measure_images(model: Path, mmproj: Path, image: Attachment, *, gpu: bool = True) -> ImageFigures:
    """TTFT of a first question about an image and of a follow-up about the same image."""
    engine = LlmEngine(EngineConfig(model_path=model, mmproj_path=mmproj, n_ctx=4096, gpu_offload=gpu))
    try:
        engine.wait_ready()
        options = GenerationOptions(temperature=0.0, max_tokens=8)
        history = [Message.user("What is in this picture?", (image,))]
        first = engine.ask(history, options=options).result()
        history += [Message.assistant(first.text), Message.user("And what colours does it have?")]
        follow_up = engine.ask(history, options=options).result()
        return ImageFigures(first_ttft_s=first.stats.ttft_s, follow_up_ttft_s=follow_up.stats.ttft_s,
                            image_tokens=first.stats.image_tokens, encode_s=first.stats.image_encode_s)
    finally:
        engine.close()


def measure_speech(whisper: Path, samples: np.ndarray) -> SpeechFigures:
    from desktop.services.transcriber import Transcriber  # faster-whisper: only for the speech figures

    transcriber = Transcriber(whisper)
    try:
        transcriber.transcribe(samples[: 16_000])  # warm-up
        started = time.perf_counter()
        whole = transcriber.transcribe(samples)
        took = time.perf_counter() - started
    finally:
        transcriber.close()
    return SpeechFigures(audio_s=len(samples) / 16_000, transcribe_s=took, text=whole.text)
