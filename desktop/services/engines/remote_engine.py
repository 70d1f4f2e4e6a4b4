"""A chat engine that is another server: llama-server, vLLM, Ollama, LM Studio, another
Hearth — anything that speaks OpenAI's chat-completions API.

Same contract as `LlmEngine` (`ChatEngine`): one thread sends the queued requests in
order through the official `openai` client, streams deltas into an `AnswerStream`,
and stops reading (closing the HTTP stream, which makes the server stop) on cancel.
Images go as `image_url` data URIs. Every failure becomes one `EngineError` sentence.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.engine_types import Answer, AnswerStats, EngineInfo, FinishReason
from desktop.core.errors import EngineError, HearthError
from desktop.core.prompt import to_chat_messages
from desktop.services.engines.answer_stream import AnswerJob, PartRelay, QueuedEngine

if TYPE_CHECKING:
    import openai

__all__ = ["RemoteConfig", "RemoteEngine"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RemoteConfig:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str | None = None  # None: the first model the server lists
    api_key: str | None = None
    timeout_s: float = 120.0  # longest wait for the next bytes of an answer
    connect_timeout_s: float = 5.0


class RemoteEngine(QueuedEngine):
    """Checks the server on its own thread at construction; `close()` joins it."""

    thread_name = "hearth-remote-engine"

    def __init__(self, config: RemoteConfig) -> None:
        import openai  # here, not at module level: it adds 0.4 s to every start of the window

        super().__init__()
        self.config = config
        self._client = openai.OpenAI(
            base_url=config.base_url, api_key=config.api_key or "none", max_retries=0,
            timeout=openai.Timeout(config.timeout_s, connect=config.connect_timeout_s),
        )
        self._start()

    # -- engine thread -----------------------------------------------------------------

    def _start_up(self) -> EngineInfo:
        return self._connect(time.perf_counter())

    def _start_up_failure(self, error: BaseException) -> HearthError:
        return EngineError(f"The remote engine at {self.config.base_url} answered something that is not "
                           f"an OpenAI-compatible reply ({type(error).__name__}).")

    def _shut_down(self) -> None:
        self._client.close()

    def _connect(self, started: float) -> EngineInfo:
        import openai

        try:
            listed = [m.id for m in self._client.models.list().data]
        except openai.APIError as error:
            raise self._explain(error) from error
        model = self.config.model or (listed[0] if listed else None)
        if model is None:
            raise EngineError(f"The remote engine at {self.config.base_url} serves no models.")
        if self.config.model and listed and self.config.model not in listed:
            raise EngineError(f"The remote engine at {self.config.base_url} has no model '{self.config.model}'; "
                              f"it has {', '.join(listed)}.")
        return EngineInfo(
            model_name=model, model_path=Path(model), mmproj_path=None,
            backend=f"remote {self.config.base_url}", gpu_layers=0, n_ctx=0, vision=True,
            image_max_side=2048, chat_template="model", load_s=time.perf_counter() - started,
        )

    def _answer(self, job: AnswerJob) -> Answer:
        import openai

        assert self._info is not None
        options = job.options
        started = time.perf_counter()
        first_at: float | None = None
        pieces = 0
        relay = PartRelay(job)
        usage = None
        finish: FinishReason = "stop"
        try:
            stream = self._client.chat.completions.create(
                model=self._info.model_name, messages=to_chat_messages(job.history, job.system_prompt),
                stream=True, temperature=options.temperature, top_p=options.top_p,
                max_tokens=options.max_tokens, seed=options.seed, stop=list(options.stop) or None,
            )
            with stream:
                for chunk in stream:
                    if job.cancel.is_set():
                        finish = "cancelled"
                        break  # leaving the `with` closes the connection: the server stops
                    usage = chunk.usage or usage
                    for choice in chunk.choices:
                        # llama.cpp's server, vLLM and others send thinking as `reasoning_content`
                        thinking = getattr(choice.delta, "reasoning_content", None) if choice.delta else None
                        if isinstance(thinking, str) and thinking:
                            first_at = first_at or time.perf_counter()
                            pieces += 1
                            relay.thinking(thinking)
                        if choice.delta and choice.delta.content:
                            first_at = first_at or time.perf_counter()
                            pieces += 1
                            relay.text(choice.delta.content)
                        if choice.finish_reason == "length":
                            finish = "length"
        except openai.APIError as error:
            raise self._explain(error) from error
        except (ValueError, KeyError, TypeError) as error:  # a reply that is not the API's shape
            raise EngineError(f"The remote engine at {self.config.base_url} answered something that is not "
                              f"an OpenAI-compatible reply.") from error
        relay.finish(finish)
        ended = time.perf_counter()
        first = first_at or ended
        completion = usage.completion_tokens if usage else pieces
        thinking_s = ((relay.thinking_ended or ended) - first) if relay.thought else 0.0
        return Answer(text=relay.answer, reasoning=relay.thought, thinking_s=thinking_s, stats=AnswerStats(
            ttft_s=first - started, prompt_tokens=usage.prompt_tokens if usage else 0,
            prefill_tokens=usage.prompt_tokens if usage else 0, prefill_s=first - started,
            completion_tokens=completion, decode_s=ended - first,
            image_count=sum(len(m.images) for m in job.history[-1:]), image_tokens=0, image_encode_s=0.0,
            total_s=ended - started, finish_reason=finish,
        ))

    def _explain(self, error: openai.APIError) -> EngineError:
        import openai

        url = self.config.base_url
        if isinstance(error, openai.APITimeoutError):
            return EngineError(f"The remote engine at {url} did not answer in time.")
        if isinstance(error, openai.APIConnectionError):
            return EngineError(f"Could not reach the remote engine at {url}: is it running?")
        if isinstance(error, openai.AuthenticationError):
            return EngineError(f"The remote engine at {url} refused the API key.")
        if isinstance(error, openai.APIStatusError):
            detail = error.message.splitlines()[0] if error.message else ""
            return EngineError(f"The remote engine at {url} answered {error.status_code}: {detail}")
        return EngineError(f"The remote engine at {url} answered something that is not an OpenAI-compatible "
                           f"reply.")
