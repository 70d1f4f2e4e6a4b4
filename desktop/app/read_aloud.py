"""Answers read aloud: each one as it is written when Settings say so, any one from the
speaker under it (in the window, or in Quick Ask once `serve` is given it), silenced by
Stop or Esc, or by a speaker while something is read. The voice loads on first use, on
the speaker's own thread; what cannot be read (no espeak-ng, no voice, no sound output)
is one line above the composer, and in Quick Ask's status line."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.core.engine_types import Answer
from desktop.core.settings import Settings
from desktop.core.speech_text import SpokenSentences
from desktop.gui.main_window import MainWindow
from desktop.gui.quick_ask import QuickAskWindow
from desktop.services.history.chat_session import ChatSession
from desktop.services.speech.echo_canceller import EchoReference
from desktop.services.speech.speaker import Speaker
from desktop.services.speech.voice import VoiceFile, find_voices, voice_problem

__all__ = ["ReadAloud"]


class ReadAloud(QObject):
    """Signals:
        speakerMade(Speaker): the speaker was made (on first use), for voice mode.
    """

    speakerMade = Signal(object)

    def __init__(self, window: MainWindow, session: ChatSession, settings: Settings, voices_dir: Path, *,
                 echo: EchoReference | None = None) -> None:
        """`echo`: where the speaker tells voice mode's echo canceller what it plays."""
        super().__init__(window)
        self._window, self._settings, self._voices_dir = window, settings, voices_dir
        self._echo = echo
        self.speaker: Speaker | None = None
        self._sentences: SpokenSentences | None = None  # the answer being written, when it is read
        self._hands_free = False  # voice mode: every answer is read, whatever Settings say
        self._served: list[QuickAskWindow] = []  # besides the window, what shows the reading
        session.answerStarted.connect(self._started)
        session.answerDelta.connect(self._delta)
        session.answerFinished.connect(self._finished)
        window.chat.readAloudRequested.connect(self.read)
        window.composer.stopRequested.connect(self.stop)
        window.silenceRequested.connect(self.stop)

    def voices(self) -> list[VoiceFile]:
        return find_voices(self._voices_dir)

    def apply(self, settings: Settings) -> None:
        if settings.voice != self._settings.voice and self.speaker is not None:
            self.speaker.shutdown()
            self.speaker = None  # the next sentence loads the new voice
        self._settings = settings

    def serve(self, quick: QuickAskWindow) -> None:
        """Quick Ask's speakers read through here too, and show when something is read
        (its answers are the window's session's, so one reader, one rule). Idempotent."""
        if quick in self._served:
            return
        self._served.append(quick)
        quick.readAloudRequested.connect(self.read)
        quick.silenceRequested.connect(self.stop)
        quick.set_read_aloud(True)
        quick.set_speaking(self._window.speaking)

    def hands_free(self, on: bool) -> None:
        self._hands_free = on

    def read(self, text: str) -> None:
        """Read this answer from its start; while something is read, the speaker stops it."""
        if self._window.speaking:
            self.stop()
            return
        speaker = self._ready()
        if speaker is not None:
            speaker.stop()
            sentences = SpokenSentences()
            speaker.say(sentences.feed(text) + sentences.finish())
            self._speaking(True)  # at the click: the voice may take seconds to load the first time

    def stop(self) -> None:
        self._sentences = None
        if self.speaker is not None:
            self.speaker.stop()
        self._speaking(False)  # also a reading that had not made a sound yet

    def shutdown(self) -> None:
        if self.speaker is not None:
            self.speaker.shutdown()
            self.speaker = None

    # -- the answer being written ------------------------------------------------------

    def _started(self, _conversation: int) -> None:
        self._sentences = SpokenSentences() if self._settings.read_aloud or self._hands_free else None

    def _delta(self, text: str) -> None:
        if self._sentences is not None and (speaker := self._ready()) is not None:
            speaker.say(self._sentences.feed(text))

    def _finished(self, answer: Answer) -> None:
        if self._sentences is not None and answer.stats.finish_reason != "cancelled" and self.speaker is not None:
            self.speaker.say(self._sentences.finish())
        self._sentences = None

    def _ready(self) -> Speaker | None:
        if self.speaker is None:
            problem = voice_problem(self._voices_dir)
            voices = self.voices()
            chosen = next((v for v in voices if v.name == self._settings.voice), voices[0] if voices else None)
            if problem or chosen is None:
                self._sentences = None
                self._notice(problem or "No voice is installed.")
                return None
            self.speaker = Speaker(chosen, echo=self._echo)
            self.speaker.speaking.connect(self._speaking)
            self.speaker.failed.connect(self._notice)
            self.speaker.failed.connect(lambda _message: self._speaking(False))
            self.speakerMade.emit(self.speaker)
        return self.speaker

    def _speaking(self, speaking: bool) -> None:
        self._window.set_speaking(speaking)
        for quick in self._served:
            quick.set_speaking(speaking)

    def _notice(self, message: str) -> None:
        self._window.show_notice(message)
        for quick in self._served:
            if quick.isVisible():  # where the person is, when it is Quick Ask
                quick.show_notice(message)
