"""The local LLM engine: one llama.cpp model (plus optional mmproj) on one thread.

llama.cpp contexts are not thread-safe, so a dedicated thread owns the `Llama` and
the libmtmd context for their whole life. Requests are queued to it; each returns an
`AnswerStream` that yields text deltas as tokens are sampled and then holds the
`Answer` with its measured statistics. Cancelling sets an event checked after every
token, so generation stops within one token.
"""

from __future__ import annotations

import codecs
import logging
import time
from dataclasses import dataclass

import llama_cpp
from llama_cpp import Llama

from desktop.core.conversation import Message
from desktop.core.engine_types import (
    Answer,
    AnswerStats,
    EngineConfig,
    EngineInfo,
    FinishReason,
)
from desktop.core.errors import ContextTooLongError, EngineError, HearthError
from desktop.core.prompt import common_prefix, to_chat_messages, trim_history
from desktop.core.reasoning import opens_thinking
from desktop.services.engines.answer_stream import AnswerJob as _Job
from desktop.services.engines.answer_stream import AnswerStream, PartRelay, QueuedEngine
from desktop.services.engines.llama_loader import LoadedModel, load_model

__all__ = ["AnswerStream", "LlmEngine"]

log = logging.getLogger(__name__)
_MIN_ANSWER_ROOM = 256  # context kept free for the answer when trimming history
_MESSAGE_OVERHEAD = 8  # template tokens around each message (role markers, newlines)


@dataclass
class _Prefill:
    tokens: list[int]  # one a KV position
    kv_cells: int  # KV cells the prompt fills: more than its positions with an M-RoPE image
    reused: int  # prompt tokens already in the KV cache
    evaluated: int  # tokens put into the cache now
    image_count: int = 0
    image_tokens: int = 0
    encode_s: float = 0.0
    cancelled: bool = False


class LlmEngine(QueuedEngine):
    """Loads `config` on its own thread at construction; `close()` frees everything."""

    thread_name = "hearth-llm-engine"

    def __init__(self, config: EngineConfig) -> None:
        super().__init__()
        self.config = config
        self._model: LoadedModel | None = None
        # Tokens an image of history may take when trimming it to the context: libmtmd's
        # count for the largest image Hearth sends (every image is scaled down to it), so
        # the old turns kept always fit, whatever size the last image happened to be.
        self._image_token_estimate = 256
        # Called by llama.cpp between graph nodes during a prefill (only then: it costs a
        # Python call per node); True aborts llama_decode.
        self._abort_callback = llama_cpp.ggml_abort_callback(
            lambda _data: self._current is not None and self._current.cancel.is_set()
        )
        self._abort_for_next_job = llama_cpp.ggml_abort_callback(lambda _data: not self._jobs.empty())
        self._next_turn: tuple[list, list[int]] | None = None  # (the answered messages, tokens not yet in the KV)
        self._start()

    # -- engine thread ---------------------------------------------------------------

    def _start_up(self) -> EngineInfo:
        self._model = load_model(self.config)
        if self._model.image_tokens_estimate:
            self._image_token_estimate = self._model.image_tokens_estimate
        return self._model.info

    def _start_up_failure(self, error: BaseException) -> HearthError:
        return EngineError(f"The model could not be loaded: {error}")

    def _shut_down(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None

    def _answer(self, job: _Job) -> Answer:
        return self._generate(job)

    def _generate(self, job: _Job) -> Answer:
        model = self._model
        assert model is not None
        llama = model.llama
        started = time.perf_counter()
        self._next_turn = None
        if any(m.images for m in job.history) and model.handler is None:
            raise EngineError(
                "This model has no vision projector (mmproj): images need a vision model."
            )
        kept = self._fit_history(llama, job)
        messages = to_chat_messages(kept, job.system_prompt)
        rendered = model.template.render(messages, media_marker=model.media_marker)
        prefill_started = time.perf_counter()
        prefill = self._prefill(job, messages, rendered.text, add_special=not rendered.starts_with_bos)
        tokens = prefill.tokens
        if prefill.cancelled:
            now = time.perf_counter()
            return Answer(text="", stats=AnswerStats(
                ttft_s=0.0, prompt_tokens=len(tokens), prefill_tokens=prefill.evaluated,
                prefill_s=now - prefill_started, completion_tokens=0, decode_s=0.0,
                image_count=prefill.image_count, image_tokens=prefill.image_tokens,
                image_encode_s=prefill.encode_s, total_s=now - started, finish_reason="cancelled",
            ), dropped_messages=len(job.history) - len(kept))
        image_count, image_tokens, encode_s = prefill.image_count, prefill.image_tokens, prefill.encode_s
        room = llama.n_ctx() - prefill.kv_cells
        limit = min(job.options.max_tokens or room, room)
        relay = PartRelay(job, open_closing=opens_thinking(rendered.text))
        counts, finish, unevaluated = self._sample(llama, tokens, job, limit, rendered.stops + job.options.stop, relay)
        self._next_turn = (messages, unevaluated) if unevaluated is not None else None
        first_at, last_at, completion = counts
        now = time.perf_counter()
        first_at = first_at or now
        stats = AnswerStats(
            ttft_s=first_at - started,
            prompt_tokens=len(tokens),
            prefill_tokens=prefill.evaluated,
            prefill_s=max(first_at - prefill_started - encode_s, 1e-9),
            completion_tokens=completion,
            decode_s=(last_at or first_at) - first_at,
            image_count=image_count,
            image_tokens=image_tokens,
            image_encode_s=encode_s,
            total_s=now - started,
            finish_reason=finish,
        )
        thinking_s = ((relay.thinking_ended or now) - first_at) if relay.thought else 0.0
        return Answer(text=relay.answer, stats=stats, dropped_messages=len(job.history) - len(kept),
                      reasoning=relay.thought, thinking_s=thinking_s)

    def _after_answer(self) -> None:
        """While the person reads the answer, put into the KV cache what any next question
        starts with: the answer's last token if it was cut off, and the template's turn
        change (`<|im_end|>\n<|im_start|>user\n` for ChatML). A follow-up then prefills
        only its own words. A queued job aborts this at once; a wrong guess costs nothing,
        since a prefill keeps only the prefix its prompt shares with the cache."""
        model, turn, self._next_turn = self._model, self._next_turn, None
        if model is None or turn is None or not self._jobs.empty():
            return
        messages, unevaluated = turn
        opening = model.template.turn_change(messages, media_marker=model.media_marker)
        if not opening:
            return
        llama = model.llama
        tokens = unevaluated + llama.tokenize(opening.encode("utf-8"), add_bos=False, special=True)
        if llama.n_tokens + len(tokens) >= llama.n_ctx():
            return
        llama_cpp.llama_set_abort_callback(llama._ctx.ctx, self._abort_for_next_job, None)
        try:
            llama.eval(tokens)
        except RuntimeError:  # aborted for a queued job (or failed): the next prefill starts clean
            log.debug("the next turn's opening was not evaluated", exc_info=True)
        finally:
            llama_cpp.llama_set_abort_callback(llama._ctx.ctx, llama_cpp.ggml_abort_callback(), None)

    def _prefill(self, job: _Job, messages: list, text: str, *, add_special: bool) -> _Prefill:
        """Put the prompt into the KV cache (reusing a cached text prefix). A cancel
        aborts llama.cpp between graph nodes, so a long prefill stops promptly too."""
        model = self._model
        assert model is not None
        llama = model.llama
        images = any(m.get("role") == "user" and isinstance(m.get("content"), list) for m in messages)
        llama_cpp.llama_set_abort_callback(llama._ctx.ctx, self._abort_callback, None)
        try:
            if images and model.handler is not None:
                try:
                    result = model.handler.prefill(llama, messages, text, add_special=add_special)
                except (EngineError, RuntimeError):  # an image or text chunk was aborted
                    if not job.cancel.is_set():
                        raise
                    return _Prefill([], 0, 0, llama.n_tokens, cancelled=True)
                return _Prefill(llama.input_ids[: llama.n_tokens].tolist(), result.kv_cells, result.reused,
                                result.prompt_tokens - result.reused, result.image_count, result.image_tokens,
                                result.image_encode_s)
            tokens = llama.tokenize(text.encode("utf-8"), add_bos=add_special, special=True)
            if len(tokens) >= llama.n_ctx():
                raise ContextTooLongError(
                    f"The prompt needs {len(tokens)} tokens but the context holds {llama.n_ctx()}.")
            reused = min(common_prefix(llama.input_ids[: llama.n_tokens].tolist(), tokens), len(tokens) - 1)
            llama.n_tokens = reused
            try:
                llama.eval(tokens[reused:])
            except RuntimeError:  # llama_decode returned 2: aborted
                if not job.cancel.is_set():
                    raise
                return _Prefill(tokens, len(tokens), reused, llama.n_tokens - reused, cancelled=True)
            return _Prefill(tokens, len(tokens), reused, len(tokens) - reused)
        finally:
            llama_cpp.llama_set_abort_callback(llama._ctx.ctx, llama_cpp.ggml_abort_callback(), None)

    def _sample(
        self, llama: Llama, tokens: list[int], job: _Job, limit: int, stops: tuple[str, ...], relay: PartRelay
    ) -> tuple[tuple[float | None, float | None, int], FinishReason, list[int] | None]:
        """Sample the answer into `relay`. Also returns the tokens that continue the KV cache towards the
        next turn: the last token where the answer was cut at `limit` (sampled, never
        evaluated), none where it ended with an end-of-generation token (the turn change
        evaluates that), None where the cache cannot be continued (cancelled, stop text)."""
        opts = job.options
        if opts.seed is not None:
            llama.set_seed(opts.seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        first_at: float | None = None
        last_at: float | None = None
        completion = 0
        finish: FinishReason = "length"
        unevaluated: list[int] | None = None
        generator = llama.generate(
            tokens, top_k=opts.top_k, top_p=opts.top_p, min_p=opts.min_p,
            temp=opts.temperature, repeat_penalty=opts.repeat_penalty, reset=True,
        )
        try:
            for token in generator:
                now = time.perf_counter()
                first_at = first_at or now
                if job.cancel.is_set():
                    finish = "cancelled"
                    break
                if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):  # as create_completion does
                    finish, unevaluated = "stop", []
                    break
                completion += 1
                last_at = now
                pending += decoder.decode(llama.detokenize([token]))
                pending, safe, hit = _split_stop(pending, stops)
                if safe:
                    relay.text(safe)
                if hit:
                    finish, pending = "stop", ""
                    break
                if completion >= limit:
                    unevaluated = [token]
                    break
        finally:
            generator.close()
        tail = pending + decoder.decode(b"", final=True)
        if tail and finish != "cancelled":
            relay.text(tail)
        relay.finish(finish)
        return (first_at, last_at, completion), finish, unevaluated

    def _fit_history(self, llama: Llama, job: _Job) -> list[Message]:
        system = job.system_prompt or ""
        system_cost = len(llama.tokenize(system.encode("utf-8"), add_bos=False)) if system else 0
        answer_room = max(_MIN_ANSWER_ROOM, job.options.max_tokens or 0)
        budget = llama.n_ctx() - system_cost - answer_room - _MESSAGE_OVERHEAD

        def measure(message: Message) -> int:
            text_cost = len(llama.tokenize(message.text.encode("utf-8"), add_bos=False))
            return text_cost + _MESSAGE_OVERHEAD + len(message.images) * self._image_token_estimate

        return trim_history(job.history, budget=budget, measure=measure)


def _split_stop(pending: str, stops: tuple[str, ...]) -> tuple[str, str, bool]:
    """Split `pending` into (kept back, safe to show, stop reached)."""
    if not stops:
        return "", pending, False
    for stop in stops:
        index = pending.find(stop)
        if index >= 0:
            return "", pending[:index], True
    hold = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(pending)), 0, -1):
            if pending.endswith(stop[:size]):
                hold = max(hold, size)
                break
    return pending[len(pending) - hold :], pending[: len(pending) - hold], False
