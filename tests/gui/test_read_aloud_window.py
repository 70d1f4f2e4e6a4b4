"""Read aloud in the window, with real sound into a PulseAudio null sink that the test
records and Whisper transcribes: with "Read answers aloud" on, an answer is spoken as
it is written; the speaker under an answer reads it again; Esc silences it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from tests_helpers import SpeakerSink, heard_answer

from desktop.core.conversation import Message


@pytest.fixture
def hearth(audible_hearth):
    return audible_hearth(read_aloud=True)


def test_answers_are_spoken_as_written_and_the_speaker_reads_one_again(qtbot, hearth, speaker_sink, transcriber,
                                                                      tmp_path):
    window = hearth.window
    recording = speaker_sink.recording(tmp_path / "streamed.wav")
    window.composer.edit.setPlainText("What is the capital of France? Answer in one short sentence.")
    with qtbot.waitSignal(hearth.session.answerFinished, timeout=120_000) as done:
        window.composer.send()
    assert "Paris" in done.args[0].text
    qtbot.waitUntil(lambda: window.speaking, timeout=30_000)
    qtbot.waitUntil(lambda: not window.speaking, timeout=60_000)
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "streamed.wav")
    assert heard_answer(spoken, done.args[0].text), spoken

    hearth.apply_settings(hearth.settings.updated(read_aloud=False))
    recording = speaker_sink.recording(tmp_path / "again.wav")
    answer = window.chat.bubbles[-1]
    answer.read_button.click()
    qtbot.waitUntil(lambda: window.speaking, timeout=30_000)
    qtbot.waitUntil(lambda: not window.speaking, timeout=60_000)
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "again.wav")
    assert heard_answer(spoken, done.args[0].text), spoken


def test_esc_silences_the_reading(qtbot, hearth, speaker_sink, transcriber, tmp_path):
    window = hearth.window
    long_text = ("The first sentence is about lighthouses on rocky coasts. The second sentence is about "
                 "elephants in the savanna. The third sentence is about volcanoes and their ash.")
    recording = speaker_sink.recording(tmp_path / "stopped.wav")
    hearth.read_aloud.read(long_text)
    qtbot.waitUntil(lambda: window.speaking, timeout=30_000)
    qtbot.wait(3000)
    window.composer.edit.setFocus()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.speaking, timeout=5_000)
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "stopped.wav")
    assert "first" in spoken and "elephant" not in spoken and "volcano" not in spoken, spoken


def test_while_reading_the_speaker_button_stops_it(qtbot, hearth):
    """The reading shows (the speaker turns into a stop, the status line says so), and a
    click on it silences the reading."""
    window = hearth.window
    bubble = window.chat.add_message(Message.assistant("One. Two. Three. Four. Five. Six. Seven. Eight."))
    bubble.read_button.click()
    qtbot.waitUntil(lambda: window.speaking, timeout=30_000)
    assert bubble.read_button.toolTip() == "Stop reading aloud (Esc)" and "Reading aloud" in window.state_label.text()
    bubble.read_button.click()
    qtbot.waitUntil(lambda: not window.speaking, timeout=5_000)
    assert bubble.read_button.toolTip() == "Read aloud"
