"""A spoken conversation, closing the loop with real sound: espeak-ng asks a question
into the virtual microphone; Hearth, in voice mode, hears where the question ends,
transcribes it, answers, and speaks the answer into a PulseAudio null sink; the test
records that sink and Whisper must hear the answer's key word. Speaking while Hearth
talks interrupts it; leaving voice mode closes the microphone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from tests_helpers import SpeakerSink, heard_answer


@pytest.fixture
def hearth(audible_hearth, virtual_microphone):
    return audible_hearth(microphone="pulse")


def test_a_spoken_question_is_answered_aloud_and_voice_mode_closes_the_microphone(
        qtbot, hearth, speaker_sink, virtual_microphone, speak, transcriber, tmp_path):
    window = hearth.window
    with qtbot.waitSignal(window.voiceModeToggled, timeout=5_000):
        window.voice_button.click()
    qtbot.waitUntil(lambda: hearth.voice_mode.mode is not None and hearth.voice_mode.mode.active, timeout=10_000)
    assert window.composer.level.isVisible()  # the microphone is open, and it shows
    shots = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", "build")) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    recording = speaker_sink.recording(tmp_path / "answer.wav")
    question = speak("What is the capital of France? Answer in one short sentence.", name="question.wav")
    qtbot.wait(500)  # a person starts to speak a moment after the button
    with qtbot.waitSignal(hearth.session.answerFinished, timeout=120_000) as done:
        virtual_microphone(question)
    assert "Paris" in done.args[0].text
    qtbot.waitUntil(lambda: window.speaking, timeout=30_000)
    window.resize(1000, 640)
    qtbot.wait(300)  # the bubbles re-wrap to the new width before the picture
    window.grab().save(str(shots / "voice-mode.png"))  # the README's: listening, and reading the answer
    qtbot.waitUntil(lambda: not window.speaking, timeout=60_000)
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "answer.wav")
    assert heard_answer(spoken, done.args[0].text), spoken
    asked = [b.message.text for b in window.chat.bubbles if b.message.role == "user"]
    assert asked[0].lower().startswith("what is the capital of france"), asked  # not one word lost
    window.voice_button.click()  # leave voice mode
    assert hearth.voice_mode.mode is None and not window.voice_button.isChecked()
    assert not window.composer.level.isVisible()


def test_speaking_while_hearth_talks_interrupts_it(qtbot, hearth, speaker_sink, virtual_microphone, speak,
                                                   transcriber, tmp_path):
    window = hearth.window
    window.voice_button.click()
    qtbot.waitUntil(lambda: hearth.voice_mode.mode is not None and hearth.voice_mode.mode.active, timeout=10_000)
    recording = speaker_sink.recording(tmp_path / "interrupted.wav")
    hearth.read_aloud.read("The first sentence is about lighthouses on rocky coasts. The second sentence is about "
                           "elephants in the savanna. The third sentence is about volcanoes and their ash.")
    qtbot.waitUntil(lambda: window.speaking, timeout=30_000)
    qtbot.wait(1500)
    virtual_microphone(speak("Wait.", name="wait.wav"))  # the person speaks up
    qtbot.waitUntil(lambda: not window.speaking, timeout=5_000)
    spoken = SpeakerSink.heard(transcriber, recording, tmp_path / "interrupted.wav")
    assert "volcano" not in spoken, spoken
    window.voice_button.click()


def test_a_spoken_question_leaves_what_was_typed_and_attached_alone(qtbot, hearth):
    """Voice mode replaced the typed draft with the words it heard, and sent them with
    the picture that waited in the composer."""
    window = hearth.window
    window.composer.edit.setPlainText("a draft of an email, not for now")
    picture = QImage(64, 48, QImage.Format.Format_RGB32)
    picture.fill(QColor("orange"))
    window.composer.add_image(picture, "screen")
    assert len(window.composer.attachments) == 1
    with qtbot.waitSignal(window.voiceModeToggled, timeout=5_000):
        window.voice_button.click()
    qtbot.waitUntil(lambda: hearth.voice_mode.mode is not None and hearth.voice_mode.mode.active, timeout=10_000)
    with qtbot.waitSignal(hearth.session.answerFinished, timeout=120_000):
        hearth.voice_mode.mode.heard.emit("What is the capital of France?")  # as Whisper would
    window.voice_button.click()
    asked = [b.message for b in window.chat.bubbles if b.message.role == "user"]
    assert asked[-1].text == "What is the capital of France?" and asked[-1].images == ()
    assert window.composer.edit.toPlainText() == "a draft of an email, not for now"
    assert len(window.composer.attachments) == 1
