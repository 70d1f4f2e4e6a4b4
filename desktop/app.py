"""The desktop app's composition root: build the services, build the window, wire them.

`connect_window()` is the one place where services and widgets meet. `hearth` with no
arguments (and `make run`) starts `run_app()`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

from desktop.core.engine_types import Answer, EngineConfig, GenerationOptions
from desktop.core.errors import HearthError
from desktop.core.gguf_info import read_gguf_info
from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings, load_settings
from desktop.gui.main_window import MainWindow
from desktop.services.chat_session import ChatSession
from desktop.services.dictation import Dictation
from desktop.services.llm_engine import LlmEngine
from desktop.services.model_store import ModelStore
from desktop.services.transcriber import Transcriber

__all__ = ["HearthApp", "connect_dictation", "connect_window", "run_app"]


class HearthApp:
    """Owns the services and the window for the app's lifetime; `shutdown()` is idempotent."""

    def __init__(self, paths: HearthPaths, settings: Settings) -> None:
        store = ModelStore(paths.models_dir)
        model = settings.model_path or _installed(store, "chat")
        mmproj = settings.mmproj_path or _installed(store, "mmproj")
        self.engine = LlmEngine(EngineConfig(
            model_path=_path(model), mmproj_path=_path(mmproj) if mmproj else None,
            n_ctx=settings.n_ctx, gpu_offload=settings.gpu_offload,
        ))
        self.session = ChatSession(
            self.engine, paths.history_db, system_prompt=settings.system_prompt,
            options=GenerationOptions(temperature=settings.temperature, top_p=settings.top_p),
        )
        self.window = MainWindow()
        if mmproj:  # images can be attached while the model is still loading
            try:
                projector = read_gguf_info(_path(mmproj))
                self.window.composer.vision = projector.is_projector
                self.window.composer.max_image_side = projector.max_image_side
            except HearthError:
                pass  # the engine reports the broken file when it loads
        connect_window(self.window, self.session)
        self.transcriber: Transcriber | None = None
        self.dictation: Dictation | None = None
        whisper = settings.whisper_path or _installed(store, "whisper")
        if whisper:
            try:
                self.transcriber = Transcriber(_path(whisper))
                self.dictation = Dictation(self.transcriber)
                connect_dictation(self.window, self.dictation)
            except HearthError as error:
                self.window.composer.show_notice(f"Voice input is off: {error}")
        self.session.start()
        self._closed = False

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.dictation is not None:
            self.dictation.shutdown()
        self.session.shutdown()
        self.engine.close()
        if self.transcriber is not None:
            self.transcriber.close()


def connect_dictation(window: MainWindow, dictation: Dictation) -> None:
    """Push-to-talk: the composer's button (or Ctrl+Space) drives the microphone."""
    composer = window.composer
    composer.talkPressed.connect(dictation.press)
    composer.talkReleased.connect(dictation.release)
    dictation.listening.connect(lambda: composer.set_listening(True))
    dictation.levelChanged.connect(composer.set_level)
    dictation.partialTranscript.connect(composer.show_partial)
    dictation.finalTranscript.connect(composer.finish_dictation)

    def failed(message: str) -> None:
        composer.set_listening(False)
        composer.show_notice(message)

    dictation.failed.connect(failed)


def connect_window(window: MainWindow, session: ChatSession) -> None:
    """Every connection between the window and the session, grouped by concern."""
    composer, chat = window.composer, window.chat
    deleted: list[int] = []

    # Model state -> status line and composer.
    session.engineReady.connect(window.show_engine)
    session.engineFailed.connect(window.show_engine_failure)

    # Conversations: list, open, new, rename, delete with undo, search.
    session.conversationsChanged.connect(window.show_conversations)
    session.searchFinished.connect(window.show_search_results)
    window.newConversationRequested.connect(session.new_conversation)
    window.conversationSelected.connect(session.open_conversation)
    window.renameRequested.connect(session.rename)
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
    def submitted(text: str, images: tuple) -> None:
        from desktop.core.conversation import Message

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

    # Regenerate and edit-and-resend rebuild the chat from the stored conversation.
    def regenerate() -> None:
        chat.abandon_answer()
        if chat.bubbles and chat.bubbles[-1].message.role == "assistant":
            chat.bubbles.pop().deleteLater()
        session.regenerate()

    def edit(position: int, text: str) -> None:
        composer.set_text(text)
        composer.show_notice("Editing an earlier message: send to replace it and everything after it.")
        composer.submitted.disconnect(submitted)

        def resend(new_text: str, _images: tuple) -> None:
            composer.submitted.disconnect(resend)
            composer.submitted.connect(submitted)
            while len(chat.bubbles) > position:
                chat.bubbles.pop().deleteLater()
            from desktop.core.conversation import Message

            chat.add_message(Message.user(new_text))
            session.edit_and_resend(position, new_text)

        composer.submitted.connect(resend)

    chat.regenerateRequested.connect(regenerate)
    chat.editRequested.connect(edit)


def run_app(argv: Sequence[str] = ()) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    paths = HearthPaths.from_environment().ensure()
    hearth = HearthApp(paths, load_settings(paths.settings_file))
    app.aboutToQuit.connect(hearth.shutdown)
    hearth.window.show()
    return app.exec()


def _installed(store: ModelStore, role: str) -> str | None:
    model = store.find(role)  # type: ignore[arg-type]
    return str(store.path_of(model)) if model else None


def _path(value: str | None):
    from pathlib import Path

    if value is None:
        from desktop.core.errors import ModelFileError

        raise ModelFileError("No chat model is installed: run `hearth models install-starter` (or `make run`).")
    return Path(value).expanduser()
