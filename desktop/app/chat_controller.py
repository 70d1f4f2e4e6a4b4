"""Keeps the window and the conversation session in step, so nothing typed is lost.

- Each conversation keeps its own draft, and an edit of an earlier message belongs
  to the conversation it was started in: switching away takes it along, coming back
  brings it back. The drafts' text is kept in the history database a moment after
  typing stops, on every switch and at quit, and comes back at the next start.
- An answer keeps streaming into the conversation it was asked in while another is
  open; going back shows it, still streaming.
- While an answer streams, its conversation's Regenerate and Edit are off and Enter
  there waits (the text stays). A question in another conversation is sent at once
  and answered right after.
- Deleting shows an undo bar in the chat for a few seconds (Ctrl+Z in the list too);
  when they are over the conversation is removed from disk for good (at quit, at the
  latest).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from desktop.core.conversation import Message
from desktop.core.engine_types import Answer
from desktop.gui.chat.composer import Draft
from desktop.gui.main_window import MainWindow
from desktop.gui.tip_bar import UNDO_SECONDS
from desktop.services.history.chat_session import ChatSession

__all__ = ["NEW", "ChatController"]

NEW = -1  # a new conversation that has no messages (and no id) yet
_KEEP_DRAFTS_MS = 1000  # after the last keystroke: a crash loses at most this second


class ChatController(QObject):
    def __init__(self, window: MainWindow, session: ChatSession) -> None:
        super().__init__(window)  # the window owns it
        self.window, self.session = window, session
        self.composer, self.chat = window.composer, window.chat
        self.current = NEW  # where new messages go
        self.shown = NEW  # what the chat view shows
        self.answering: int | None = None  # the conversation an answer streams into
        self.partial = ""  # that answer so far
        self.partial_thought = ""  # and its thinking (a reasoning model's)
        self.drafts: dict[int, Draft] = {}
        self.titles: dict[int, str] = {}
        self.deleted: list[tuple[int, bool]] = []  # (conversation, was it open), still undoable
        self._purge_timers: dict[int, QTimer] = {}
        self._keep_timer = QTimer(self)
        self._keep_timer.setSingleShot(True)
        self._keep_timer.setInterval(_KEEP_DRAFTS_MS)
        self._keep_timer.timeout.connect(self.keep_drafts)
        self._connect()

    def _connect(self) -> None:
        window, session, composer, chat = self.window, self.session, self.composer, self.chat
        # Model state -> status line and composer.
        session.engineReady.connect(window.show_engine)
        session.engineFailed.connect(window.show_engine_failure)
        # Conversations: list, open, new, rename, export, delete with undo, search.
        session.conversationsChanged.connect(self._listed)
        session.searchFinished.connect(window.show_search_results)
        session.currentChanged.connect(self._current_changed)
        session.conversationOpened.connect(self._opened)
        window.newConversationRequested.connect(lambda: self.switch_to(NEW))
        window.conversationSelected.connect(self.switch_to)
        window.renameRequested.connect(session.rename)
        window.exportRequested.connect(lambda conversation, path: session.export(conversation, Path(path)))
        window.searchRequested.connect(lambda text: session.search(text) if text.strip() else session.refresh())
        window.deleteRequested.connect(self.delete)
        window.undoDeleteRequested.connect(self.undo_delete)
        # A turn: composer -> session -> streamed answer in the chat view.
        composer.submitted.connect(self._submitted)
        composer.editSubmitted.connect(self._edit_submitted)
        composer.stopRequested.connect(session.stop)
        session.answerStarted.connect(self._started)
        session.answerDelta.connect(self._delta)
        session.answerThought.connect(self._thought)
        session.answerFinished.connect(self._finished)
        session.failed.connect(self._failed)
        # Regenerate the last answer; edit a sent message and resend from there.
        chat.regenerateRequested.connect(self._regenerate)
        chat.editRequested.connect(self._edit)
        composer.editingChanged.connect(chat.set_editing)
        # Drafts outlive a quit.
        session.draftsLoaded.connect(self._drafts_loaded)
        composer.edit.textChanged.connect(self._keep_timer.start)

    # -- conversations -------------------------------------------------------------------

    def switch_to(self, conversation: int, *, focus: bool = True) -> None:
        """Open `conversation` (NEW: a new chat); the composer's draft stays with the old one."""
        if self.window.search.text():
            self.window.search.clear()  # a search result was opened: the list comes back
        if conversation == self.current and conversation != NEW:
            self.composer.edit.setFocus()
            return
        self.drafts[self.current] = self.composer.take_draft()
        self.composer.restore_draft(self.drafts.pop(conversation, Draft()))
        self.current = conversation
        self.keep_drafts()
        self.window.sidebar.set_current(None if conversation == NEW else conversation)
        self.window.set_conversation_title(self.titles.get(conversation, ""))
        if conversation == NEW:
            self.shown = NEW
            self.chat.show_conversation([])  # at once; the session follows
            self._show_busy()
            self.session.new_conversation()
        else:
            self.session.open_conversation(conversation)
        if focus:
            self.composer.edit.setFocus()

    def delete(self, conversation: int) -> None:
        self.deleted.append((conversation, conversation == self.current))
        if conversation == self.current:
            self.switch_to(NEW, focus=False)  # its draft stays with it: Undo brings both back; the list keeps focus
        self.session.delete(conversation)
        self.window.undo_bar.show_deleted(self.titles.get(conversation, ""), UNDO_SECONDS)
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: self._purge(conversation))
        timer.start(int(UNDO_SECONDS * 1000))
        self._purge_timers[conversation] = timer

    def _purge(self, conversation: int) -> None:
        """The undo window is over: the conversation goes from disk for good."""
        self.deleted = [entry for entry in self.deleted if entry[0] != conversation]
        timer = self._purge_timers.pop(conversation, None)
        if timer is not None:
            timer.deleteLater()
        self.drafts.pop(conversation, None)  # deleted means gone, its draft too
        self.session.purge(conversation)

    def undo_delete(self) -> None:
        """Bring the last deleted conversation back (and open it if it was open)."""
        if self.deleted:
            conversation, was_open = self.deleted.pop()
            timer = self._purge_timers.pop(conversation, None)
            if timer is not None:
                timer.stop()
                timer.deleteLater()
            self.session.restore(conversation)
            if was_open and self.current == NEW:
                self.switch_to(conversation)

    def keep_drafts(self) -> None:
        """Hand every draft's text to the session to keep (the open one's included)."""
        self._keep_timer.stop()
        texts = {conversation: _text_of(draft) for conversation, draft in self.drafts.items()}
        texts[self.current] = self.composer.edit.toPlainText()
        self.session.keep_drafts({c: t for c, t in texts.items() if t.strip()})

    def _drafts_loaded(self, kept: dict) -> None:
        """The last run's drafts: into the open composer if it is still empty, else kept."""
        for conversation, text in kept.items():
            if conversation == self.current and not self.composer.edit.toPlainText().strip():
                self.composer.restore_draft(Draft(text=text))
            elif conversation != self.current and _is_empty(self.drafts.get(conversation, Draft())):
                self.drafts[conversation] = Draft(text=text)

    def _listed(self, summaries: list) -> None:
        self.titles = {s.id: s.title for s in summaries}
        self.window.show_conversations(summaries)
        self.window.sidebar.set_current(None if self.current == NEW else self.current)
        self.window.set_conversation_title(self.titles.get(self.current, ""))

    def _current_changed(self, conversation: int) -> None:
        if self.shown == NEW and conversation != NEW and self.chat.message_count:
            self.shown = conversation  # the new chat on screen was just saved
        self.current = conversation  # the session's word is final (its tasks run in order)
        self.window.sidebar.set_current(None if self.current == NEW else self.current)
        self.window.set_conversation_title(self.titles.get(self.current, ""))

    def _opened(self, conversation: int, stored: list) -> None:
        if conversation != self.current:
            return  # the person has moved on already
        if conversation == NEW and self.shown == NEW:
            return  # cleared when it was chosen; a question may already be on it
        self.shown = conversation
        self.chat.show_conversation(stored)
        editing = self.composer.editing
        self.chat.set_editing(-1 if editing is None else editing)
        if self.answering is not None and self.answering == conversation:
            self.chat.begin_answer()  # still streaming: show it so far
            if self.partial_thought:
                self.chat.append_thought(self.partial_thought)
            if self.partial:
                self.chat.append_delta(self.partial)
        self._show_busy()

    # -- a turn --------------------------------------------------------------------------

    def _submitted(self, text: str, images: tuple) -> None:
        self.chat.add_message(Message.user(text, images))
        self.session.send(text, images, conversation=self.current)
        if self.answering is not None and self.answering != self.current:
            self.window.set_state("Your question is next, after the answer being written now…")

    def _edit_submitted(self, position: int, text: str) -> None:
        bubble = self.chat.bubble_at(position)
        kept_images = bubble.message.images if bubble is not None else ()  # an edit keeps the images
        self.chat.truncate(position)
        self.chat.add_message(Message.user(text, kept_images))
        self.session.edit_and_resend(position, text, self.current)

    def _started(self, conversation: int) -> None:
        self.answering, self.partial, self.partial_thought = conversation, "", ""
        if self.shown == NEW and self.current == conversation:
            self.shown = conversation  # a new chat's first question, saved just now
        if self.shown == conversation:
            self.chat.begin_answer()
        self._show_busy()

    def _delta(self, text: str) -> None:
        self.partial += text
        if self.answering is not None and self.shown == self.answering:
            self.chat.append_delta(text)

    def _thought(self, text: str) -> None:
        self.partial_thought += text
        if self.answering is not None and self.shown == self.answering:
            self.chat.append_thought(text)

    def _finished(self, answer: Answer) -> None:
        if self.answering is not None and self.shown == self.answering:
            self.chat.finish_answer(answer)
        self.answering, self.partial, self.partial_thought = None, "", ""
        self._show_busy()
        self.window.set_state("Stopped" if answer.stats.finish_reason == "cancelled" else "Ready")

    def _failed(self, message: str) -> None:
        if self.answering is not None:
            if self.shown == self.answering:
                self.chat.abandon_answer()
            self.answering, self.partial, self.partial_thought = None, "", ""
            self._show_busy()
            self.window.set_state("Ready")
        self.composer.show_notice(message)

    def _regenerate(self) -> None:
        if self._streaming_here() or not self.chat.bubbles:
            return  # never while its answer streams: it would leave two answers
        self.chat.truncate(self.chat.bubbles[-1].position)
        self.session.regenerate(self.current)

    def _edit(self, position: int, text: str) -> None:
        if not self._streaming_here():
            self.composer.begin_edit(position, text)

    def _streaming_here(self) -> bool:
        return self.answering is not None and self.answering == self.shown

    def _show_busy(self) -> None:
        """Stop, and no Enter/Regenerate/Edit, only in the conversation being answered."""
        here = self._streaming_here()
        self.composer.set_busy(here)
        self.chat.set_busy(here)
        if self.answering is not None:
            title = self.titles.get(self.answering, "")
            self.window.set_state(f"Answering in “{title}”…" if not here and title else "Answering…")


def _text_of(draft: Draft) -> str:
    """The words a draft holds: an edit's text while editing, else the message's."""
    return draft.editing[1] if draft.editing is not None else draft.text


def _is_empty(draft: Draft) -> bool:
    return not _text_of(draft).strip() and not draft.attachments and draft.editing is None
