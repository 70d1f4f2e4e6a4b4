"""Every connection between the window and the services, in one place, grouped by concern."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.app.chat_controller import ChatController
from desktop.app.model_rows import ManagerView
from desktop.core.catalog import Catalog
from desktop.gui.main_window import MainWindow
from desktop.gui.model_manager import ModelManagerDialog
from desktop.services.history.chat_session import ChatSession
from desktop.services.models.hub_searcher import HubSearcher
from desktop.services.models.model_jobs import ModelJobs
from desktop.services.speech.dictation import Dictation

__all__ = ["connect_dictation", "connect_hub_search", "connect_model_manager", "connect_window"]


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

    def unavailable(message: str) -> None:
        failed(message)
        window.set_voice_available(False)

    dictation.finalTranscript.connect(final)
    dictation.failed.connect(failed)
    dictation.unavailable.connect(unavailable)


def disconnect_dictation(window: MainWindow, dictation: Dictation) -> None:
    """Undo `connect_dictation`'s hold on the composer (its own signals die with it)."""
    window.composer.talkPressed.disconnect(dictation.press)
    window.composer.talkReleased.disconnect(dictation.release)


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


def connect_hub_search(dialog: ModelManagerDialog, searcher: HubSearcher, jobs: ModelJobs, view: ManagerView) -> None:
    """The manager's Hugging Face tab: searches run on the searcher's thread; a chosen
    file is pulled by the jobs worker like a catalog model."""
    dialog.hub.searchRequested.connect(view.search_hub)  # the old results go before the new search
    dialog.hub.searchRequested.connect(searcher.search)
    dialog.hub.stopRequested.connect(searcher.cancel)
    dialog.hub.pullRequested.connect(lambda index: jobs.pull(view.hub_entry(index)))
    searcher.found.connect(view.show_hub)
    searcher.failed.connect(lambda _query, message: view.hub_failed(message))


def connect_window(window: MainWindow, session: ChatSession) -> ChatController:
    """The window and the conversation behind it; the controller (a child of the
    window) keeps drafts, the edit and the streaming answer straight."""
    return ChatController(window, session)
