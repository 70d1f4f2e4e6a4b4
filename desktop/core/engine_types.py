"""What goes into and comes out of an engine: frozen dataclasses, no library types.

These are what services hand to the CLI and (as signal arguments) to the window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

__all__ = ["Answer", "AnswerDetails", "AnswerStats", "EngineConfig", "EngineInfo", "FinishReason", "GenerationOptions"]

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


@dataclass(frozen=True)
class AnswerDetails:
    """What is kept with an answer in the history beside its text, and shown under it:
    its statistics (None when none were kept) and a reasoning model's thinking with how
    long it took (shown again, never sent back to the model). Stored as one flat JSON
    object, the statistics' fields beside `reasoning` and `thinking_s`."""

    stats: AnswerStats | None = None
    reasoning: str = ""
    thinking_s: float = 0.0

    @classmethod
    def of(cls, answer: Answer) -> AnswerDetails:
        return cls(answer.stats, answer.reasoning, answer.thinking_s if answer.reasoning else 0.0)

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = asdict(self.stats) if self.stats is not None else {}
        if self.reasoning:
            record.update(reasoning=self.reasoning, thinking_s=self.thinking_s)
        return record

    @classmethod
    def from_json(cls, raw: object) -> AnswerDetails:
        """Read back what `to_json` wrote, also from an older or damaged history: a field
        that is missing or of the wrong type reads as zero, never as an error."""
        if not isinstance(raw, dict):
            return cls()
        stats = None
        if any(name in raw for name in _STATS_FIELDS):
            values = {name: _number(raw.get(name), kind) for name, kind in _STATS_FIELDS.items()}
            finish = raw.get("finish_reason")
            stats = AnswerStats(**values, finish_reason=finish if finish in ("stop", "length", "cancelled") else "stop")
        reasoning = raw.get("reasoning")
        return cls(stats, reasoning if isinstance(reasoning, str) else "", _number(raw.get("thinking_s"), float))


_STATS_FIELDS = {f.name: int if f.type == "int" else float for f in fields(AnswerStats) if f.name != "finish_reason"}


def _number(value: object, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        return kind(0)  # also NaN and negatives: nothing measured is below zero
    return kind(min(value, 1e12))
