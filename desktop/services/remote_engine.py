"""A chat engine that is another server: llama-server, vLLM, Ollama, LM Studio, another
Hearth — anything that speaks OpenAI's chat-completions API.

Same contract as `LlmEngine` (`ChatEngine`): one thread sends the queued requests in
order through the official `openai` client, streams deltas into an `AnswerStream`,
and stops reading (closing the HTTP stream, which makes the server stop) on cancel.
Images go as `image_url` data URIs. Every failure becomes one `EngineError` sentence.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openai

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, AnswerStats, EngineInfo, FinishReason, GenerationOptions
from desktop.core.errors import EngineError, HearthError
from desktop.core.openai_schema import to_openai_messages
from desktop.services.answer_stream import AnswerJob, AnswerStream

__all__ = ["RemoteConfig", "RemoteEngine"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RemoteConfig:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str | None = None  # None: the first model the server lists
    api_key: str | None = None
    timeout_s: float = 120.0  # longest wait for the next bytes of an answer
    connect_timeout_s: float = 5.0


class RemoteEngine:
    """Checks the server on its own thread at construction; `close()` joins it."""

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._client = openai.OpenAI(
            base_url=config.base_url, api_key=config.api_key or "none", max_retries=0,
            timeout=openai.Timeout(config.timeout_s, connect=config.connect_timeout_s),
        )
        self._jobs: queue.Queue[AnswerJob | None] = queue.Queue()
        self._ready = threading.Event()
        self._info: EngineInfo | None = None
        self._error: HearthError | None = None
        self._current: AnswerJob | None = None
        self._thread = threading.Thread(target=self._run, name="hearth-remote-engine", daemon=True)
        self._thread.start()

    # -- ChatEngine (any thread) -----------------------------------------------------

    def wait_ready(self, timeout: float | None = None) -> EngineInfo:
        if not self._ready.wait(timeout):
            raise TimeoutError("the remote engine has not answered yet")
        if self._error is not None:
            raise self._error
        assert self._info is not None
        return self._info

    def ask(self, history: Sequence[Message], *, system_prompt: str | None = None,
            options: GenerationOptions | None = None) -> AnswerStream:
        if not history or history[-1].role != "user":
            raise ValueError("history must end with a user message")
        job = AnswerJob(tuple(history), system_prompt, options or GenerationOptions())
        self._jobs.put(job)
        return AnswerStream(job)

    def cancel(self) -> None:
        job = self._current
        if job is not None:
            job.cancel.set()

    def close(self, timeout: float = 60.0) -> None:
        self.cancel()
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)
        self._client.close()

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- engine thread -----------------------------------------------------------------

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self._info = self._connect(started)
        except HearthError as error:
            self._error = error
        except Exception as error:  # the reply parsed into something unexpected
            log.debug("remote engine's model list was unusable", exc_info=True)
            self._error = EngineError(f"The remote engine at {self.config.base_url} answered something that is "
                                      f"not an OpenAI-compatible reply ({type(error).__name__}).")
        finally:
            self._ready.set()
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                job.events.put(("error", self._error))
                continue
            self._current = job
            try:
                job.events.put(("done", self._answer(job)))
            except HearthError as error:
                job.events.put(("error", error))
            except Exception as error:  # a bug: logged in full, one sentence for the person
                log.exception("remote answer failed")
                job.events.put(("error", EngineError(f"The remote engine failed: {error}")))
            finally:
                self._current = None

    def _connect(self, started: float) -> EngineInfo:
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
        assert self._info is not None
        options = job.options
        started = time.perf_counter()
        first_at: float | None = None
        pieces: list[str] = []
        usage = None
        finish: FinishReason = "stop"
        try:
            stream = self._client.chat.completions.create(
                model=self._info.model_name, messages=to_openai_messages(job.history, job.system_prompt),
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
                        if choice.delta and choice.delta.content:
                            first_at = first_at or time.perf_counter()
                            pieces.append(choice.delta.content)
                            job.events.put(("delta", choice.delta.content))
                        if choice.finish_reason == "length":
                            finish = "length"
        except openai.APIError as error:
            raise self._explain(error) from error
        except (ValueError, KeyError, TypeError) as error:  # a reply that is not the API's shape
            raise EngineError(f"The remote engine at {self.config.base_url} answered something that is not "
                              f"an OpenAI-compatible reply.") from error
        ended = time.perf_counter()
        first = first_at or ended
        completion = usage.completion_tokens if usage else len(pieces)
        return Answer(text="".join(pieces), stats=AnswerStats(
            ttft_s=first - started, prompt_tokens=usage.prompt_tokens if usage else 0,
            prefill_tokens=usage.prompt_tokens if usage else 0, prefill_s=first - started,
            completion_tokens=completion, decode_s=ended - first,
            image_count=sum(len(m.images) for m in job.history[-1:]), image_tokens=0, image_encode_s=0.0,
            total_s=ended - started, finish_reason=finish,
        ))

    def _explain(self, error: openai.APIError) -> EngineError:
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
