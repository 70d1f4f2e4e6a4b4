"""A spoken conversation: voice mode's words go out as questions, the answers come back
aloud, and speaking while Hearth talks interrupts it (barge-in). Leaving voice mode
closes the microphone; what it heard stays in the conversation like anything typed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from desktop.app.read_aloud import ReadAloud
from desktop.gui.main_window import MainWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.speech.echo_canceller import EchoReference
from desktop.services.speech.transcriber import Transcriber
from desktop.services.speech.voice_mode import VoiceMode

__all__ = ["VoiceConversation"]


class VoiceConversation(QObject):
    def __init__(self, window: MainWindow, session: ChatSession, read_aloud: ReadAloud,
                 whisper: Callable[[], Path | None], *, microphone: Callable[[], str | None],
                 echo: EchoReference | None = None) -> None:
        """`echo`: what the speaker plays (the same one `read_aloud` was given), so that
        voice mode cancels Hearth's own voice from loudspeakers."""
        super().__init__(window)
        self._window, self._session, self._read_aloud = window, session, read_aloud
        self._whisper, self._microphone, self._echo = whisper, microphone, echo
        self.mode: VoiceMode | None = None
        self._spoken: str | None = None  # words heard while an answer was being written: asked once it stops
        window.voiceModeToggled.connect(self.toggle)
        session.answerFinished.connect(self._after_answer)

    def toggle(self, on: bool) -> None:
        if on:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        if self.mode is not None:
            return
        whisper = self._whisper()
        if whisper is None:
            self._window.show_voice_mode(False)
            self._window.show_notice("Voice mode needs a Whisper model: install one in Models.")
            return
        mode = VoiceMode(lambda: Transcriber(whisper), device=self._microphone(), echo=self._echo)
        mode.listening.connect(self._window.show_voice_mode)
        mode.levelChanged.connect(self._window.composer.set_level)
        mode.failed.connect(self._failed)
        mode.speechStarted.connect(self._interrupt)
        mode.heard.connect(self._ask)
        self.mode = mode
        self._read_aloud.hands_free(True)
        if self._read_aloud.speaker is not None:
            self._read_aloud.speaker.speaking.connect(mode.set_hearth_speaking)
        self._read_aloud.speakerMade.connect(lambda speaker: speaker.speaking.connect(mode.set_hearth_speaking))
        mode.start()
        if not mode.active:
            self.stop()

    def stop(self) -> None:
        mode, self.mode = self.mode, None
        if mode is None:
            return
        self._read_aloud.speakerMade.disconnect()
        self._read_aloud.hands_free(False)
        mode.stop()
        if mode.transcriber is not None:
            mode.transcriber.close()
        self._window.show_voice_mode(False)

    def _interrupt(self) -> None:
        """The person speaks: Hearth stops talking (and stops writing the answer it reads)."""
        if self._window.speaking:
            self._read_aloud.stop()
            if self._window.composer.busy:
                self._session.stop()

    def _ask(self, text: str) -> None:
        """The words go out as a question of their own: what is typed or attached in the
        composer stays there, untouched (it may be a draft of something else)."""
        if self._window.composer.busy:  # a new question replaces the answer still being written
            self._spoken = text
            self._session.stop()
        else:
            self._window.composer.submit_spoken(text)

    def _after_answer(self, _answer: object) -> None:
        if self._spoken is not None:
            text, self._spoken = self._spoken, None
            QTimer.singleShot(0, lambda: self._window.composer.submit_spoken(text))  # once the window saw the end

    def _failed(self, message: str) -> None:
        self._window.show_notice(message)
        self.stop()
