"""Read aloud in the window, with real sound into a PulseAudio null sink that the test
records and Whisper transcribes: with "Read answers aloud" on, an answer is spoken as
it is written; the speaker under an answer reads it again; Esc silences it. Quick Ask's
answers have the same copy and speaker buttons, read by the same reader."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
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


def test_the_speaker_turns_into_stop_at_the_click_before_a_sound(qtbot, hearth):
    """The voice loads on first use, seconds on a small machine: the button must answer
    the click at once, and a second click then cancels the reading that made no sound."""
    window = hearth.window
    assert hearth.read_aloud.speaker is None  # nothing loaded yet
    bubble = window.chat.add_message(Message.assistant("One. Two. Three."))
    bubble.read_button.click()
    assert window.speaking and bubble.read_button.toolTip() == "Stop reading aloud (Esc)"
    bubble.read_button.click()
    assert not window.speaking and bubble.read_button.toolTip() == "Read aloud"
    assert hearth.read_aloud.speaker.wait_idle(30)
    assert not window.speaking  # the cancelled reading never began afterwards


def test_quick_ask_answers_are_copied_and_read_aloud_and_the_speaker_stops_the_reading(
        qtbot, audible_hearth, speaker_sink, transcriber, tmp_path):
    """A real answer in Quick Ask: copy puts its text on the clipboard; the speaker reads
    it aloud (heard in the sink), and pressed again while it reads, it stops."""
    hearth = audible_hearth()
    quick = hearth.companion.quick
    hearth.read_aloud.serve(quick)  # what the app does (once more is nothing)
    hearth.companion.summon()
    quick.edit.setPlainText("What is the capital of France? Answer in one short sentence.")
    with qtbot.waitSignal(hearth.session.answerFinished, timeout=120_000) as done:
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
    answer = quick.answer
    assert answer.text == done.args[0].text and "Paris" in answer.text
    qtbot.waitUntil(lambda: answer.copy_button.isVisible() and answer.read_button.isVisible())
    QGuiApplication.clipboard().clear()
    answer.copy_button.click()
    assert QGuiApplication.clipboard().text() == answer.text

    answer.read_button.click()
    qtbot.waitUntil(lambda: hearth.window.speaking, timeout=30_000)
    assert answer.read_button.toolTip() == "Stop reading aloud (Esc)"
    answer.read_button.click()
    qtbot.waitUntil(lambda: not hearth.window.speaking, timeout=5_000)
    assert answer.read_button.toolTip() == "Read aloud"

    recording = speaker_sink.recording(tmp_path / "quick.wav")
    answer.read_button.click()
    qtbot.waitUntil(lambda: hearth.window.speaking, timeout=30_000)
    qtbot.waitUntil(lambda: not hearth.window.speaking, timeout=60_000)
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "quick.wav")
    assert heard_answer(spoken, answer.text), spoken
