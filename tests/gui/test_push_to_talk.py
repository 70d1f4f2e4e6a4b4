"""Push-to-talk through a real (virtual PulseAudio) microphone and real Whisper."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from tests_helpers import word_error_rate

from desktop.app import connect_dictation
from desktop.gui.main_window import MainWindow
from desktop.services.dictation import Dictation

SENTENCE = "Please turn on the kitchen lights and play some music."


@pytest.fixture
def window(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def dictation(transcriber, virtual_microphone):
    dictation = Dictation(lambda: transcriber, device="pulse")
    yield dictation
    dictation.shutdown()


def test_held_button_records_speech_into_the_composer(qtbot, window, dictation, virtual_microphone, speak):
    connect_dictation(window, dictation)
    window.composer.edit.setPlainText("Note:")
    wav = speak(SENTENCE, name="ptt.wav")
    partials = []
    dictation.partialTranscript.connect(partials.append)
    with qtbot.waitSignal(dictation.listening, timeout=10_000):
        qtbot.mousePress(window.composer.talk_button, Qt.MouseButton.LeftButton)
    assert window.composer.level.isVisible()
    virtual_microphone(wav)
    qtbot.waitUntil(lambda: bool(partials), timeout=20_000)  # text grows while the key is held
    with qtbot.waitSignal(dictation.finalTranscript, timeout=30_000):
        qtbot.mouseRelease(window.composer.talk_button, Qt.MouseButton.LeftButton)
    assert not dictation.recording  # the microphone is closed on release
    text = window.composer.edit.toPlainText()
    assert text.startswith("Note: ")
    assert word_error_rate(SENTENCE, text.removeprefix("Note: ")) <= 0.1, text
    assert not window.composer.level.isVisible()


def test_ctrl_space_is_push_to_talk(qtbot, window, dictation):
    connect_dictation(window, dictation)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    with qtbot.waitSignal(dictation.listening, timeout=10_000):
        qtbot.keyPress(window.composer.edit, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert dictation.recording
    with qtbot.waitSignal(dictation.finalTranscript, timeout=30_000) as blocker:
        qtbot.keyRelease(window.composer.edit, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [""]  # nothing was said: no text, a quiet hint
    assert "No speech" in window.composer.notice.text()
    assert window.composer.edit.toPlainText() == ""


def test_missing_microphone_is_a_clear_message(qtbot, window, transcriber):
    dictation = Dictation(lambda: transcriber, device="no such microphone")
    connect_dictation(window, dictation)
    with qtbot.waitSignal(dictation.failed, timeout=10_000) as blocker:
        qtbot.mousePress(window.composer.talk_button, Qt.MouseButton.LeftButton)
    assert "No microphone" in blocker.args[0]
    assert "No microphone" in window.composer.notice.text()
    assert not dictation.recording
    dictation.shutdown()


def test_send_after_speaking_sends_the_transcript(qtbot, window, dictation, virtual_microphone, speak):
    connect_dictation(window, dictation, send_after_speaking=lambda: True)
    wav = speak("What is the weather like in London today?", name="send.wav")
    with qtbot.waitSignal(dictation.listening, timeout=10_000):
        qtbot.mousePress(window.composer.talk_button, Qt.MouseButton.LeftButton)
    virtual_microphone(wav)
    with qtbot.waitSignal(window.composer.submitted, timeout=30_000) as blocker:
        qtbot.mouseRelease(window.composer.talk_button, Qt.MouseButton.LeftButton)
    assert word_error_rate("What is the weather like in London today?", blocker.args[0]) <= 0.1
    assert window.composer.edit.toPlainText() == ""


def test_microphone_lost_mid_recording_keeps_what_was_heard(qtbot, window, dictation, virtual_microphone, speak):
    """PulseAudio moves a stream whose source vanishes to another source, so a real
    unplug cannot be staged here; aborting the PortAudio stream from outside is what
    PortAudio itself does when a device fails."""
    connect_dictation(window, dictation)
    wav = speak("Please turn on the kitchen lights.", name="lost.wav")
    with qtbot.waitSignal(dictation.listening, timeout=10_000):
        qtbot.mousePress(window.composer.talk_button, Qt.MouseButton.LeftButton)
    virtual_microphone(wav)
    with qtbot.waitSignal(dictation.failed, timeout=30_000) as blocker:
        dictation._stream.abort()
    assert "microphone stopped" in blocker.args[0]
    assert "kitchen" in window.composer.edit.toPlainText().lower()
    assert "microphone stopped" in window.composer.notice.text()
    qtbot.mouseRelease(window.composer.talk_button, Qt.MouseButton.LeftButton)
    assert not dictation.recording


def test_start_cue_is_heard(virtual_microphone, monkeypatch):
    """The cue files in assets/ play through the default output; with the output routed
    into the virtual sink, the virtual microphone hears them."""
    import numpy as np
    import sounddevice

    from desktop.core.paths import assets_dir
    from desktop.services.audio_devices import CuePlayer

    monkeypatch.setenv("PULSE_SINK", "hearth_sink")
    sounds = assets_dir() / "sounds"
    cues = CuePlayer(sounds / "ptt-start.wav", sounds / "ptt-stop.wav")
    chunks = []
    running, finished = threading.Event(), threading.Event()

    def collect(indata, frames, _time, _status):
        chunks.append(indata[:, 0].copy())
        total = sum(len(c) for c in chunks)
        if total >= 8_000:  # 0.5 s in: the capture pipeline is running
            running.set()
        if total >= 40_000:
            finished.set()

    with sounddevice.InputStream(samplerate=16000, channels=1, dtype="float32", device="pulse", callback=collect):
        assert running.wait(10)
        cues.play("start")
        assert finished.wait(10)
    assert float(np.abs(np.concatenate(chunks)).max()) > 0.05


def test_a_broken_whisper_model_turns_voice_off_and_nothing_else(qtbot, window, tmp_path):
    from desktop.services.transcriber import Transcriber

    dictation = Dictation(lambda: Transcriber(tmp_path), device="pulse")  # no model.bin there
    connect_dictation(window, dictation)
    with qtbot.waitSignal(dictation.failed, timeout=10_000) as blocker:
        dictation.start()
    assert "Voice input is off" in blocker.args[0] and "model.bin" in blocker.args[0]
    assert not window.composer.talk_button.isEnabled()
    assert window.composer.edit.isEnabled() and window.composer.send_button.isEnabled()
    dictation.shutdown()
