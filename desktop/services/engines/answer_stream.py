"""What every chat engine (local llama.cpp or a remote OpenAI-compatible server) shares:
the queued job, the `AnswerStream` its caller iterates, and `QueuedEngine`, the one
thread that owns the engine and answers the queue in order.

`ChatEngine` is the protocol the chat session, the CLI and `hearth serve` use, so any
engine can stand behind the window.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer, EngineInfo, FinishReason, GenerationOptions
from desktop.core.errors import EngineError, HearthError
from desktop.core.reasoning import Part, ThinkingSplitter

__all__ = ["AnswerJob", "AnswerStream", "ChatEngine", "QueuedEngine"]

log = logging.getLogger(__name__)


@dataclass
class AnswerJob:
    """One queued request: the engine thread puts ("delta", str) for the answer and
    ("thought", str) for a reasoning model's thinking, then ("done", Answer) or ("error",
    exception) on `events`."""

    history: Sequence[Message]
    system_prompt: str | None
    options: GenerationOptions
    events: queue.Queue[tuple[str, object]] = field(default_factory=queue.Queue)
    cancel: threading.Event = field(default_factory=threading.Event)


class AnswerStream:
    """Iterate for text deltas; then `result()` gives the whole `Answer`.

    Iterating re-raises, in the caller's thread, any `HearthError` the engine hit.
    """

    def __init__(self, job: AnswerJob) -> None:
        self._job = job
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        """The answer's text deltas (a reasoning model's thinking is left out)."""
        for part in self.parts():
            if part.kind == "answer":
                yield part.text

    def parts(self) -> Iterator[Part]:
        """The deltas of the thinking and of the answer, in the order they came."""
        while self._answer is None:
            kind, payload = self._job.events.get()
            if kind == "delta":
                yield Part("answer", str(payload))
            elif kind == "thought":
                yield Part("thought", str(payload))
            elif kind == "wake":
                yield Part("answer", "")  # the consumer has other work to look at (see `wake`)
            elif kind == "done":
                assert isinstance(payload, Answer)
                self._answer = payload
            else:
                assert isinstance(payload, BaseException)
                raise payload

    def cancel(self) -> None:
        """Stop generating after the token being computed now."""
        self._job.cancel.set()

    def wake(self) -> None:
        """Make the iterating thread yield an empty delta soon, even mid-prefill: it can
        then see to other work (thread-safe; the engine is not disturbed)."""
        self._job.events.put(("wake", None))

    def result(self) -> Answer:
        """Consume the rest of the stream and return the answer."""
        for _ in self:
            pass
        assert self._answer is not None
        return self._answer


class PartRelay:
    """Puts a model's text on a job's events as it comes, a reasoning model's thinking
    apart from its answer (`ThinkingSplitter`), and keeps both for the `Answer`."""

    def __init__(self, job: AnswerJob, *, open_closing: str | None = None) -> None:
        self._job = job
        self._splitter = ThinkingSplitter(open_closing=open_closing)
        self._answer: list[str] = []
        self._thought: list[str] = []
        self._told_apart = False  # thinking came from the engine as such: its end is not seen
        self._final: tuple[str, str] | None = None  # (answer, thought) once finished
        self.thinking_ended: float | None = None  # perf_counter() at the answer's first text

    @property
    def answer(self) -> str:
        """The answer: once finished, as `core.reasoning.settle` decides."""
        return self._final[0] if self._final is not None else "".join(self._answer)

    @property
    def thought(self) -> str:
        return self._final[1] if self._final is not None else "".join(self._thought)

    def text(self, text: str) -> None:
        """The model's text, thinking and answer as they come."""
        for part in self._splitter.feed(text):
            self._put(part)

    def thinking(self, text: str) -> None:
        """Thinking the engine already knows as such (a server's `reasoning_content`)."""
        self._told_apart = True
        self._put(Part("thought", text))

    def finish(self, reason: FinishReason) -> None:
        """The stream has ended (why: `reason`): settle what is answer and what is thought."""
        for part in self._splitter.finish():
            self._put(part)
        self._final = self._splitter.final("".join(self._answer), "".join(self._thought), reason,
                                           told_apart=self._told_apart)

    def _put(self, part: Part) -> None:
        if part.kind == "thought":
            self._thought.append(part.text)
            self._job.events.put(("thought", part.text))
            return
        if self._thought and self.thinking_ended is None:
            self.thinking_ended = time.perf_counter()
        self._answer.append(part.text)
        self._job.events.put(("delta", part.text))


class ChatEngine(Protocol):
    def wait_ready(self, timeout: float | None = None) -> EngineInfo: ...

    def ask(self, history: Sequence[Message], *, system_prompt: str | None = None,
            options: GenerationOptions | None = None) -> AnswerStream: ...

    def cancel(self) -> None: ...

    def close(self, timeout: float = 60.0) -> None: ...

    @property
    def is_alive(self) -> bool: ...


class QueuedEngine:
    """The engine's own thread: it starts the engine up (`_start_up`), answers queued
    jobs one at a time (`_answer`), and on `close()` fails what is still queued and shuts
    the engine down (`_shut_down`). Subclasses call `_start()` at the end of `__init__`."""

    thread_name = "hearth-engine"

    def __init__(self) -> None:
        self._jobs: queue.Queue[AnswerJob | None] = queue.Queue()
        self._ready = threading.Event()
        self._info: EngineInfo | None = None
        self._error: HearthError | None = None
        self._current: AnswerJob | None = None
        self._idle = threading.Event()  # nothing queued, nothing running (after-answer work included)
        self._idle_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    # -- ChatEngine (any thread) -----------------------------------------------------

    def wait_ready(self, timeout: float | None = None) -> EngineInfo:
        """Block until the engine is ready; raise what stopped it if it failed."""
        if not self._ready.wait(timeout):
            raise TimeoutError("the engine is still starting")
        if self._error is not None:
            raise self._error
        assert self._info is not None
        return self._info

    def ask(self, history: Sequence[Message], *, system_prompt: str | None = None,
            options: GenerationOptions | None = None) -> AnswerStream:
        """Queue an answer to the last message of `history`."""
        if not history or history[-1].role != "user":
            raise ValueError("history must end with a user message")
        job = AnswerJob(tuple(history), system_prompt, options or GenerationOptions())
        with self._idle_lock:
            self._idle.clear()
            self._jobs.put(job)
        return AnswerStream(job)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued answer, and the work done after it, is finished."""
        return self._idle.wait(timeout)

    def cancel(self) -> None:
        """Cancel the answer being generated now, if any."""
        job = self._current
        if job is not None:
            job.cancel.set()

    def close(self, timeout: float = 60.0) -> None:
        """Cancel work, shut the engine down and join the thread. Safe to call twice."""
        self.cancel()
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- for subclasses (engine thread) ------------------------------------------------

    def _start(self) -> None:
        self._thread.start()

    def _start_up(self) -> EngineInfo:
        raise NotImplementedError

    def _answer(self, job: AnswerJob) -> Answer:
        raise NotImplementedError

    def _after_answer(self) -> None:
        """Work for the time the person reads an answer (runs after its "done" is sent;
        it must give way as soon as a job is queued)."""

    def _shut_down(self) -> None:
        """Free what `_start_up` made (runs on the engine thread, even after a failure)."""

    def _start_up_failure(self, error: BaseException) -> HearthError:
        return EngineError(f"The engine could not start: {error}")

    # -- the thread --------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._info = self._start_up()
        except HearthError as error:
            self._error = error
        except BaseException as error:  # reported to whoever waits; never lost
            log.debug("engine start-up failed", exc_info=True)
            self._error = self._start_up_failure(error)
        finally:
            self._ready.set()
        try:
            while True:
                with self._idle_lock:
                    if self._jobs.empty():
                        self._idle.set()
                if (job := self._jobs.get()) is None:
                    break
                self._serve(job)
        finally:
            self._drain()
            self._shut_down()

    def _serve(self, job: AnswerJob) -> None:
        if self._error is not None:
            job.events.put(("error", self._error))
            return
        self._current = job
        answered = False
        try:
            job.events.put(("done", self._answer(job)))
            answered = True
        except HearthError as error:
            job.events.put(("error", error))
        except Exception as error:  # a bug: logged in full, one sentence for the person
            log.exception("answer failed")
            job.events.put(("error", EngineError(f"Generation failed: {error}")))
        finally:
            self._current = None
        if answered:
            self._after_answer()

    def _drain(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.events.put(("error", EngineError("The engine was shut down.")))
