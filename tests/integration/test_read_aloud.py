"""Answers read aloud, with real sound: espeak-ng asks a question (a real recording),
`hearth ask --speak` hears it with Whisper, answers with the starter model and speaks
the answer with its Piper voice into a PulseAudio null sink; the test records that
sink and Whisper must hear the answer. Also the speaker on its own: Stop silences it
at once, and a missing voice is one line."""

from __future__ import annotations

import os
import threading
import time

from PySide6.QtCore import QCoreApplication, Qt
from tests_helpers import SpeakerSink, heard_answer

from desktop.services.speech.speaker import Speaker
from desktop.services.speech.voice import find_voices


def test_a_spoken_question_is_answered_aloud(run_hearth, cli_home, speak, speaker_sink, transcriber, tmp_path,
                                             monkeypatch):
    question = speak("What is the capital of France? Answer in one short sentence.", name="question.wav")
    monkeypatch.setenv("PULSE_SINK", speaker_sink.name)
    recording = speaker_sink.recording(tmp_path / "spoken.wav")
    done = run_hearth("ask", "--audio", str(question), "--speak", "--temperature", "0", "--max-tokens", "24")
    assert done.returncode == 0, done.stderr
    assert "Paris" in done.stdout
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "spoken.wav")
    assert heard_answer(spoken, done.stdout), (spoken, done.stdout)


def test_stop_silences_at_once_and_forgets_what_was_queued(speaker_sink, transcriber, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_SINK", speaker_sink.name)
    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - signals need one
    speaker = Speaker(find_voices()[0])
    started = threading.Event()
    speaker.speaking.connect(lambda on: started.set() if on else None, Qt.ConnectionType.DirectConnection)
    recording = speaker_sink.recording(tmp_path / "stopped.wav")
    try:
        speaker.say(["The first sentence is about lighthouses on rocky coasts.",
                     "The second sentence is about elephants in the savanna.",
                     "The third sentence is about volcanoes and their ash."])
        assert started.wait(30)
        time.sleep(3.0)  # into the first sentence (its sound starts about a second after)
        speaker.stop()
        assert speaker.wait_idle(10)
    finally:
        speaker.shutdown()
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "stopped.wav").lower()
    assert "first" in spoken and "elephant" not in spoken and "volcano" not in spoken, spoken


def test_without_espeak_ng_reading_aloud_is_one_line(run_hearth, cli_home, tmp_path, monkeypatch):
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare) + os.pathsep + "/nonexistent")
    done = run_hearth("ask", "--speak", "Hi")
    assert done.returncode != 0 and "espeak-ng" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
