"""The conversation behind the window: history, persistence and the engine, off the GUI thread.

One worker thread (`hearth-session`) owns the SQLite store and runs every task in
order: load, persist, ask the engine and relay its answer. The GUI thread only calls
slots (which queue tasks) and receives signals (queued back to it), so it never
blocks on the model or the disk. `stop()` is immediate: it sets the answer's cancel
event, and the engine stops within one token.

Signals:
    engineReady(EngineInfo): the model finished loading.
    engineFailed(str): the model could not be loaded; the message says why.
    conversationsChanged(list[ConversationSummary]): the list to show, newest first.
    conversationOpened(int, list[StoredMessage]): a conversation was (re)loaded.
    currentChanged(int): the conversation new messages go to (-1: a new, unsaved one);
        also when the first message creates it.
    answerStarted(int): the engine began an answer in this conversation.
    answerDelta(str): new answer text, batched to about 30 signals a second.
    answerThought(str): new thinking of a reasoning model, batched the same way.
    answerFinished(Answer): the answer is complete (or was stopped) and stored in the
        conversation it was asked in, even if another one was opened meanwhile.

While an answer streams, opening, listing, searching, renaming, deleting and exporting
conversations still run (between tokens, or woken during a prefill), and a question sent
meanwhile is saved at once; its answer, like anything else that needs the engine,
waits its turn.
    searchFinished(list[SearchHit]): results of `search()`.
    draftsLoaded(dict[int, str]): the unsent drafts kept from the last run (-1: the new
        chat's, -2: Quick Ask's), once, at start.
    questionSaved(int, int): a `send(..., request=N)` question was saved: N, and the
        conversation it went to (a new one's id, for Quick Ask).
    failed(str): a one-line message for the person; nothing they typed was lost.
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer, AnswerDetails, GenerationOptions
from desktop.core.errors import HearthError
from desktop.services.engines.answer_stream import AnswerStream, ChatEngine
from desktop.services.history.conversation_store import ConversationStore

__all__ = ["ChatSession"]

log = logging.getLogger(__name__)
_BATCH_S = 1 / 30
_TITLE_CHARS = 80


class ChatSession(QObject):
    engineReady = Signal(object)
    engineFailed = Signal(str)
    conversationsChanged = Signal(list)
    conversationOpened = Signal(int, list)
    currentChanged = Signal(int)
    answerStarted = Signal(int)
    answerDelta = Signal(str)
    answerThought = Signal(str)
    answerFinished = Signal(object)
    searchFinished = Signal(list)
    questionSaved = Signal(int, int)
    draftsLoaded = Signal(object)  # a dict: Qt would turn its int keys into strings
    failed = Signal(str)

    def __init__(
        self,
        engine: ChatEngine,
        database: Path,
        *,
        system_prompt: str | None = None,
        options: GenerationOptions | None = None,
    ) -> None:
        super().__init__()
        self._engine = engine
        self._database = database
        self.system_prompt = system_prompt
        self.options = options or GenerationOptions()
        self._tasks: queue.Queue[_Task | None] = queue.Queue()
        self._deferred: collections.deque[_Task | None] = collections.deque()  # held back by an answer
        self._stream: AnswerStream | None = None
        self._store: ConversationStore | None = None
        self._conversation: int | None = None
        self._closed = False
        self._search_generation = 0  # a newer search makes the running one stop
        self._thread = threading.Thread(target=self._run, name="hearth-session", daemon=True)

    def start(self) -> None:
        """Start working (call after connecting the signals): reports the engine's state
        and the saved conversations first."""
        self._put(lambda: self.draftsLoaded.emit(self._db().drafts()), quick=True)
        self._put(self._wait_for_engine)
        self._thread.start()

    # -- slots (GUI thread) ------------------------------------------------------------

    def refresh(self) -> None:
        self._put(self._emit_conversations, quick=True)

    def new_conversation(self) -> None:
        self._put(self._start_new, quick=True)

    def open_conversation(self, conversation_id: int) -> None:
        self._put(lambda: self._open(conversation_id), quick=True)

    def send(self, text: str, images: tuple[Attachment, ...] = (), *, conversation: int | None = None,
             request: int = 0) -> None:
        """Ask in `conversation` (-1: a new one; None: the open one). While another
        answer streams, the question is stored and answered right after it. A `request`
        number other than 0 is told back with the conversation (`questionSaved`)."""
        message = Message.user(text, tuple(images))
        stored: list[int] = []  # the question is saved at once (it shows in the list), answered in turn

        def save() -> None:  # a request's new conversation is its own: the window's new chat stays
            stored.append(self._store_question(message, conversation, adopt=not request))
            if request:
                self.questionSaved.emit(request, stored[0])

        self._put(save, quick=True)
        self._put(lambda: self._answer(stored[0]) if stored else None)

    def regenerate(self, conversation: int | None = None) -> None:
        """Drop the last answer and answer the last question again."""
        self._put(lambda: self._redo(None, conversation))

    def edit_and_resend(self, position: int, text: str, conversation: int | None = None) -> None:
        """Replace the user message at `position` with `text` and answer from there."""
        self._put(lambda: self._redo((position, text), conversation))

    def set_engine(self, engine: ChatEngine) -> None:
        """Switch to another engine (new model settings); the old one is closed here,
        off the GUI thread, after any answer in flight."""

        def task() -> None:
            old, self._engine = self._engine, engine
            if old is not engine:
                old.close()
            self._wait_for_engine()

        self.stop()
        self._put(task)

    def stop(self) -> None:
        stream = self._stream
        if stream is not None:
            stream.cancel()

    def rename(self, conversation_id: int, title: str) -> None:
        self._put(lambda: (self._db().rename(conversation_id, title), self._emit_conversations()), quick=True)

    def delete(self, conversation_id: int) -> None:
        def task() -> None:
            self._db().delete(conversation_id)
            if conversation_id == self._conversation:
                self._start_new()
            self._emit_conversations()

        self._put(task, quick=True)

    def restore(self, conversation_id: int) -> None:
        self._put(lambda: (self._db().restore(conversation_id), self._emit_conversations()), quick=True)

    def purge(self, conversation_id: int) -> None:
        """The undo window is over: remove the deleted conversation from disk for good."""
        self._put(lambda: self._db().purge(conversation_id), quick=True)

    def keep_drafts(self, drafts: dict[int, str]) -> None:
        """Keep these unsent drafts over a quit (they replace the ones kept before)."""
        self._put(lambda: self._db().keep_drafts(drafts), quick=True)

    def search(self, query: str) -> None:
        """Search; a search asked meanwhile replaces this one (it stops, and emits nothing)."""
        self._search_generation += 1
        generation = self._search_generation

        def stale() -> bool:
            return generation != self._search_generation

        def task() -> None:
            if not stale():
                hits = self._db().search(query, cancelled=stale)
                if not stale():
                    self.searchFinished.emit(hits)

        self._put(task, quick=True)

    def export(self, conversation_id: int, path: Path) -> None:
        def task() -> None:
            store = self._db()
            text = store.export_json(conversation_id) if path.suffix == ".json" else store.export_markdown(
                conversation_id
            )
            part = path.with_name(path.name + ".part")
            part.write_text(text, encoding="utf-8")
            os.replace(part, path)  # the export appears whole or not at all

        self._put(task, quick=True)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the answer in flight, finish queued writes, close the store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        if self._thread.is_alive():
            self._tasks.put(None)
            self._thread.join(timeout)

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- worker thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while (task := self._next_task()) is not None:
                self._run_task(task)
        finally:
            if self._store is not None:
                self._close_store(self._store)

    def _close_store(self, store: ConversationStore) -> None:
        """Deleted means gone: what is still in its undo window at quit is removed now."""
        try:
            store.purge_deleted()
        except HearthError as error:
            log.warning("deleted conversations could not be removed at quit: %s", error)
        finally:
            store.close()

    def _put(self, work: Callable[[], object], *, quick: bool = False) -> None:
        self._tasks.put(_Task(work, quick))
        stream = self._stream
        if quick and stream is not None:
            stream.wake()  # an answer in its prefill yields no tokens for seconds

    def _next_task(self) -> _Task | None:
        return self._deferred.popleft() if self._deferred else self._tasks.get()

    def _run_task(self, task: _Task) -> None:
        try:
            task.work()
        except HearthError as error:
            self.failed.emit(str(error))
        except Exception as error:
            log.exception("session task failed")
            self.failed.emit(f"Something went wrong: {error}")

    def _run_quick_tasks(self) -> None:
        """Between tokens: run what does not need the engine; hold back the rest, in order."""
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                return
            if task is not None and task.quick:  # may pass held-back asks: those name their conversation
                self._run_task(task)
            else:
                self._deferred.append(task)

    def _db(self) -> ConversationStore:
        if self._store is None:
            self._store = store = ConversationStore(self._database)
            if store.set_aside is not None:
                self.failed.emit(f"Your chat history was damaged, so a new one was started; "
                                 f"the old file is kept as {store.set_aside}.")
            store.purge_deleted()  # deleted before a crash: the undo window is long over
        return self._store

    def _wait_for_engine(self) -> None:
        try:
            self.engineReady.emit(self._engine.wait_ready())
        except HearthError as error:
            self.engineFailed.emit(str(error))
        self._emit_conversations()

    def _emit_conversations(self) -> None:
        self.conversationsChanged.emit(self._db().conversations())

    def _start_new(self) -> None:
        self._conversation = None
        self.currentChanged.emit(-1)
        self.conversationOpened.emit(-1, [])

    def _open(self, conversation_id: int) -> None:
        if not self._db().exists(conversation_id):  # deleted meanwhile, or a stale "last open" id
            self._start_new()
            return
        stored = self._db().messages(conversation_id)
        self._conversation = conversation_id
        self.currentChanged.emit(conversation_id)
        self.conversationOpened.emit(conversation_id, stored)

    def _target(self, conversation: int | None) -> int | None:
        """Where a question goes: the given conversation (-1: a new one), else the open one."""
        if conversation is None:
            return self._conversation
        return None if conversation < 0 else conversation

    def _ask(self, message: Message, conversation: int | None) -> None:
        self._answer(self._store_question(message, conversation))

    def _store_question(self, message: Message, conversation: int | None, *, adopt: bool = True) -> int:
        """Save the question (making its conversation if new, which becomes the open one
        if `adopt` and the person is on a new chat); returns where it went."""
        store = self._db()
        target = self._target(conversation)
        if target is None:
            target = store.create(_title_from(message.text))
            if adopt and self._conversation is None:  # the person is still on that new chat
                self._conversation = target
                self.currentChanged.emit(target)
        store.append(target, message)
        self._emit_conversations()
        return target

    def _redo(self, edit: tuple[int, str] | None, conversation: int | None) -> None:
        target = self._target(conversation)
        if target is None:
            return
        history = [s.message for s in self._db().messages(target)]
        users = [i for i, m in enumerate(history) if m.role == "user"]
        if not users:
            return
        if edit is None:
            position = users[-1]
            message = history[position]
        else:
            position, text = edit
            if not 0 <= position < len(history):
                return
            message = Message.user(text, history[position].images)  # an edit keeps the images
        self._db().truncate(target, from_position=position)
        self._ask(message, target)

    def _answer(self, conversation: int) -> None:
        history = [s.message for s in self._db().messages(conversation)]  # the conversation's own
        self.answerStarted.emit(conversation)
        stream = self._engine.ask(history, system_prompt=self.system_prompt, options=self.options)
        self._stream = stream
        pending: dict[str, list[str]] = {"thought": [], "answer": []}
        last_emit = time.monotonic()
        try:
            for part in stream.parts():
                if part.text:
                    if part.kind == "answer" and pending["thought"]:  # the thinking ends before the answer
                        self._emit_pending(pending)
                    pending[part.kind].append(part.text)
                now = time.monotonic()
                if now - last_emit >= _BATCH_S:
                    self._emit_pending(pending)
                    last_emit = now
                self._run_quick_tasks()  # also woken for them (AnswerStream.wake) during a prefill
            self._emit_pending(pending)
            answer = stream.result()
        finally:  # on error the question stays stored: regenerate retries it
            self._stream = None
        self._store_answer(conversation, answer)

    def _emit_pending(self, pending: dict[str, list[str]]) -> None:
        for kind, signal in (("thought", self.answerThought), ("answer", self.answerDelta)):
            if pending[kind]:
                signal.emit("".join(pending[kind]))
                pending[kind].clear()

    def _store_answer(self, conversation: int, answer: Answer) -> None:
        reply = Message.assistant(answer.text)  # the thinking is kept apart, never sent back to the model
        self._db().append(conversation, reply, details=AnswerDetails.of(answer))
        self.answerFinished.emit(answer)
        self._emit_conversations()


@dataclass(frozen=True)
class _Task:
    work: Callable[[], object]
    quick: bool  # needs no engine: may run between the tokens of an answer


def _title_from(text: str) -> str:
    """The first words of the question, whole, and "…" when there were more (a title
    that ends on a comma looks cut off by mistake)."""
    line = " ".join(text.split())
    if len(line) <= _TITLE_CHARS:
        return line or "Image question"
    words = line[:_TITLE_CHARS].rsplit(" ", 1)[0] or line[:_TITLE_CHARS]
    return words.rstrip(",;:-–—") + "…"
