"""Every connection between the window and the services, in one place, grouped by concern."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QKeySequence, QShortcut

from desktop.core.catalog import Catalog
from desktop.core.conversation import Message
from desktop.core.engine_types import Answer
from desktop.gui.main_window import MainWindow
from desktop.gui.model_manager import ModelManagerDialog
from desktop.services.chat_session import ChatSession
from desktop.services.dictation import Dictation
from desktop.services.model_jobs import ModelJobs

__all__ = ["connect_dictation", "connect_model_manager", "connect_window"]


def connect_dictation(
    window: MainWindow, dictation: Dictation, *, send_after_speaking: Callable[[], bool] = lambda: False
) -> None:
    """Push-to-talk: the composer's button (or the held shortcut) drives the microphone."""
    composer = window.composer
    composer.talkPressed.connect(dictation.press)
    composer.talkReleased.connect(dictation.release)
    dictation.listening.connect(lambda: composer.set_listening(True))
    dictation.levelChanged.connect(composer.set_level)
    dictation.partialTranscript.connect(composer.show_partial)

    def final(text: str) -> None:
        composer.finish_dictation(text)
        if text and send_after_speaking():
            composer.send()

    def failed(message: str) -> None:
        composer.set_listening(False)
        composer.show_notice(message)
        if message.startswith("Voice input is off"):
            composer.talk_button.setEnabled(False)

    dictation.finalTranscript.connect(final)
    dictation.failed.connect(failed)


def connect_model_manager(
    dialog: ModelManagerDialog, jobs: ModelJobs, catalog: Catalog, *, show_installed: Callable[[list], None],
    set_default: Callable[[str, str], None], remove: Callable[[str], None],
) -> None:
    """The model manager: requests go to the jobs worker (or the app, for defaults and
    removal, which must know what is in use); results come back to the window."""
    dialog.pullRequested.connect(lambda name: jobs.pull(catalog.get(name)))
    dialog.importRequested.connect(lambda paths: jobs.import_paths([Path(p) for p in paths]))
    dialog.verifyRequested.connect(jobs.verify)
    dialog.cancelRequested.connect(jobs.cancel)
    dialog.defaultRequested.connect(set_default)
    dialog.removeRequested.connect(remove)
    jobs.started.connect(dialog.show_started)
    jobs.progress.connect(dialog.show_progress)
    jobs.finished.connect(dialog.show_finished)
    jobs.failed.connect(dialog.show_failed)
    jobs.installedChanged.connect(show_installed)


def connect_window(window: MainWindow, session: ChatSession) -> None:
    composer, chat = window.composer, window.chat
    deleted: list[int] = []

    # Model state -> status line and composer.
    session.engineReady.connect(window.show_engine)
    session.engineFailed.connect(window.show_engine_failure)

    # Conversations: list, open, new, rename, export, delete with undo, search.
    session.conversationsChanged.connect(window.show_conversations)
    session.searchFinished.connect(window.show_search_results)
    window.newConversationRequested.connect(session.new_conversation)
    window.conversationSelected.connect(session.open_conversation)
    window.renameRequested.connect(session.rename)
    window.exportRequested.connect(lambda conversation, path: session.export(conversation, Path(path)))
    window.searchRequested.connect(lambda text: session.search(text) if text.strip() else session.refresh())

    def delete(conversation_id: int) -> None:
        deleted.append(conversation_id)
        session.delete(conversation_id)
        window.statusBar().showMessage("Conversation deleted. Ctrl+Z to undo.", 8000)

    def undo_delete() -> None:
        if deleted:
            session.restore(deleted.pop())
            window.statusBar().showMessage("Conversation restored.", 4000)

    window.deleteRequested.connect(delete)
    QShortcut(QKeySequence.StandardKey.Undo, window.conversations, undo_delete)

    def opened(_conversation_id: int, stored: list) -> None:
        chat.clear()
        for item in stored:
            chat.add_message(item.message, item.stats)

    session.conversationOpened.connect(opened)

    # A turn: composer -> session -> streamed answer in the chat view.
    editing: list[int] = []  # position of the user message being edited, if any

    def submitted(text: str, images: tuple) -> None:
        if editing:
            position = editing.pop()
            kept_images = chat.bubbles[position].message.images  # an edit keeps the message's images
            chat.truncate(position)
            chat.add_message(Message.user(text, kept_images))
            session.edit_and_resend(position, text)
            return
        chat.add_message(Message.user(text, images))
        session.send(text, images)

    def started() -> None:
        composer.set_busy(True)
        window.set_state("Answering…")
        chat.begin_answer()

    def finished(answer: Answer) -> None:
        chat.finish_answer(answer)
        composer.set_busy(False)
        window.set_state("Stopped" if answer.stats.finish_reason == "cancelled" else "Ready")

    def failed(message: str) -> None:
        chat.abandon_answer()
        composer.set_busy(False)
        composer.show_notice(message)
        window.set_state("Ready")

    composer.submitted.connect(submitted)
    composer.stopRequested.connect(session.stop)
    session.answerStarted.connect(started)
    session.answerDelta.connect(chat.append_delta)
    session.answerFinished.connect(finished)
    session.failed.connect(failed)

    # Regenerate the last answer; edit a sent message and resend from there.
    def regenerate() -> None:
        chat.truncate(len(chat.bubbles) - 1)
        session.regenerate()

    def edit(position: int, text: str) -> None:
        editing[:] = [position]
        composer.set_text(text)
        composer.show_notice("Editing an earlier message: send to replace it and everything after it.")

    chat.regenerateRequested.connect(regenerate)
    chat.editRequested.connect(edit)
