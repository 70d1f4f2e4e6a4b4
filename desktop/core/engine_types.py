"""What goes into and comes out of an engine: frozen dataclasses, no library types.

These are what services hand to the CLI and (as signal arguments) to the window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Answer", "AnswerStats", "EngineConfig", "EngineInfo", "FinishReason", "GenerationOptions"]

FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True, kw_only=True)
class EngineConfig:
    """How to load a model. `mmproj_path` adds vision through libmtmd."""

    model_path: Path
    mmproj_path: Path | None = None
    n_ctx: int = 4096
    gpu_offload: bool = True  # offload every layer when the build supports it
    n_threads: int | None = None  # None: llama.cpp's default


@dataclass(frozen=True, kw_only=True)
class GenerationOptions:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    max_tokens: int | None = None  # None: until the model stops or the context is full
    seed: int | None = None
    stop: tuple[str, ...] = ()  # more strings that end the answer (never shown)


@dataclass(frozen=True)
class EngineInfo:
    """What a loaded engine is: shown in `hearth doctor`, the status line, `--json`."""

    model_name: str
    model_path: Path
    mmproj_path: Path | None
    backend: str  # "CPU", "CUDA", "Metal", "Vulkan", ...
    gpu_layers: int  # layers offloaded to the GPU (0 on CPU)
    n_ctx: int
    vision: bool
    image_max_side: int
    chat_template: Literal["model", "fallback"]
    load_s: float


@dataclass(frozen=True)
class AnswerStats:
    """Measured per answer. Rates are tokens per second of wall-clock time."""

    ttft_s: float  # request start to first token
    prompt_tokens: int  # KV positions of the prompt, text and image
    prefill_tokens: int  # of those, evaluated now (the rest was reused from the cache)
    prefill_s: float
    completion_tokens: int
    decode_s: float
    image_count: int
    image_tokens: int
    image_encode_s: float
    total_s: float
    finish_reason: FinishReason

    @property
    def prefill_tps(self) -> float:
        return self.prefill_tokens / self.prefill_s if self.prefill_s > 0 else 0.0

    @property
    def decode_tps(self) -> float:
        steps = self.completion_tokens - 1
        return steps / self.decode_s if steps > 0 and self.decode_s > 0 else 0.0


@dataclass(frozen=True)
class Answer:
    text: str  # the answer alone: a reasoning model's thinking is in `reasoning`
    stats: AnswerStats
    dropped_messages: int = field(default=0)  # old turns trimmed to fit the context
    reasoning: str = ""
    thinking_s: float = 0.0  # from the first token to the end of the thinking


def stored_stats(answer: Answer) -> dict[str, object]:
    """What is kept with an answer in the history: its statistics, and a reasoning
    model's thinking with how long it took (shown again, never sent back to the model)."""
    record: dict[str, object] = asdict(answer.stats)
    if answer.reasoning:
        record.update(reasoning=answer.reasoning, thinking_s=answer.thinking_s)
    return record
