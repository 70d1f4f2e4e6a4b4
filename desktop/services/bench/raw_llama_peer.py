"""The bench's "raw" peer: llama.cpp through llama-cpp-python's low-level API, in a
process of its own.

Why a process: llama.cpp's CPU backend runs each graph in an OpenMP team that belongs
to the thread that calls it, and waits at an OpenMP barrier after every node. A second
team in the same process (the raw model on the bench's main thread beside Hearth's
engine thread) makes libgomp count more threads than CPUs and throttle its spin-wait
to a few hundred iterations, so both teams sleep in the kernel at every barrier:
decode fell from ~46 to ~32 tok/s on a 2-core machine, for Hearth and raw alike. Each
peer in its own process, as llama-bench is, measures what a person gets.

Run as `python -m desktop.services.bench.raw_llama_peer` with a JSON request on stdin; prints
the figures as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.errors import HearthError

__all__ = ["RawFigures", "run_raw_peer"]

_TIMEOUT_S = 600


@dataclass(frozen=True)
class RawFigures:
    prefill_tps: float
    decode_tps: float


def run_raw_peer(model: Path, text: str, *, prompt_tokens: int, decode_tokens: int, threads: int,
                 gpu: bool) -> RawFigures:
    """Load `model` in a fresh process, warm it up with one turn, then time one turn:
    `text`'s first `prompt_tokens` tokens prefilled, `decode_tokens` decoded greedily."""
    request = {"model": str(model), "text": text, "prompt_tokens": prompt_tokens, "decode_tokens": decode_tokens,
               "threads": threads, "gpu": gpu}
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(request), capture_output=True,
                              text=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HearthError(f"Raw llama.cpp could not run: {error}.") from error
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise HearthError(f"Raw llama.cpp failed (exit {done.returncode}): {last}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return RawFigures(prefill_tps=figures["prefill_tps"], decode_tps=figures["decode_tps"])


def _measure(request: dict[str, Any]) -> dict[str, float]:
    from desktop.services.engines.cpp_runtime import load_llama_cpp_first

    load_llama_cpp_first()
    import llama_cpp
    from llama_cpp import Llama

    from desktop.services.engines.ggml_backends import load_backends

    load_backends()
    raw = Llama(request["model"], n_ctx=2048, n_threads=request["threads"], n_gpu_layers=-1 if request["gpu"] else 0,
                n_batch=2048, n_ubatch=512, flash_attn=True, verbose=False)  # as Hearth and llama-bench run
    try:
        wanted = request["prompt_tokens"]
        tokens = raw.tokenize(request["text"].encode(), add_bos=True)[:wanted]
        tokens += [tokens[-1]] * (wanted - len(tokens))  # the same length as Hearth's prompt
        _turn(llama_cpp, raw, tokens, request["decode_tokens"])  # warm-up, as llama-bench does
        prefill_tps, decode_tps = _turn(llama_cpp, raw, tokens, request["decode_tokens"])
    finally:
        raw.close()
    return {"prefill_tps": prefill_tps, "decode_tps": decode_tps}


def _turn(llama_cpp: Any, raw: Any, tokens: list[int], decode_tokens: int) -> tuple[float, float]:
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


if __name__ == "__main__":
    print(json.dumps(_measure(json.loads(sys.stdin.read()))))
