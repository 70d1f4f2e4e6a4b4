"""Echo cancellation with real sound: Hearth's Speaker, with its Piper voice, plays into
a PulseAudio null sink whose monitor is a virtual microphone (a loudspeaker beside the
microphone, its sound at full level) while voice mode listens. Hearth reading alone is
not taken for the person (without the canceller it is: Hearth interrupts itself), and a
person talking over Hearth, no louder than it, interrupts it and is heard. The canceller
opens no socket.

The sink is this module's own, like `virtual_microphone`'s but private: other tests play
their questions into `hearth_sink`, and any sound but Hearth's is, rightly, kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from desktop.core.audio import WHISPER_RATE, read_wav
from desktop.core.word_errors import word_error_rate
from desktop.services.speech import echo_canceller
from desktop.services.speech.echo_canceller import EchoReference
from desktop.services.speech.speaker import Speaker
from desktop.services.speech.voice import PiperVoice, find_voices
from desktop.services.speech.voice_mode import VoiceMode

ANSWER = ["Lighthouses were built on rocky coasts to warn ships away from danger at night.",
          "Their keepers trimmed the wicks, wound the clockwork and polished the great lenses every day.",
          "Today most of them run on their own, and the keepers have gone."]
PERSON = "Wait, please turn on the kitchen lights and play some music."  # tiny.en hears it whole, alone


@dataclass(frozen=True)
class Loudspeakers:
    speaker: Speaker
    echo: EchoReference  # what the speaker plays, for voice mode


@pytest.fixture(scope="module")
def room(virtual_microphone) -> Iterator[str]:
    """A null sink and a virtual microphone hearing it, both this module's own (their
    names: `room`, `room`_mic), kept awake as `virtual_microphone` keeps its own."""
    name = f"hearth_room_{os.getpid()}"
    modules = [subprocess.run(["pactl", "load-module", *arguments], check=True, capture_output=True,
                              text=True).stdout.strip()
               for arguments in (["module-null-sink", f"sink_name={name}"],
                                 ["module-virtual-source", f"source_name={name}_mic", f"master={name}.monitor"])]
    keeper = subprocess.Popen(["pacat", "--playback", f"--device={name}", "--raw", "--format=s16le", "--rate=16000",
                               "--channels=1", "--latency-msec=20", "/dev/zero"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield name
    keeper.terminate()
    keeper.wait(10)
    for module in reversed(modules):
        subprocess.run(["pactl", "unload-module", module], capture_output=True)


@pytest.fixture
def loudspeakers(room, monkeypatch) -> Loudspeakers:
    """Hearth's speaker, playing where the room's microphone hears it."""
    monkeypatch.setenv("PULSE_SINK", room)
    monkeypatch.setenv("PULSE_SOURCE", f"{room}_mic")
    echo = EchoReference()
    speaker = Speaker(find_voices()[0], echo=echo)
    yield Loudspeakers(speaker, echo)
    speaker.shutdown()


@pytest.fixture
def blocks(monkeypatch) -> list[tuple[float, float]]:
    """(level heard, level left) of each 20 ms block through the canceller."""
    from desktop.core.audio import rms_level

    levels: list[tuple[float, float]] = []
    process = echo_canceller.EchoCanceller.process

    def measured(self, block, at):
        cleaned = process(self, block, at)
        levels.append((rms_level(block), rms_level(cleaned)))
        return cleaned

    monkeypatch.setattr(echo_canceller.EchoCanceller, "process", measured)
    return levels


def listening(qtbot, transcriber, loudspeakers: Loudspeakers, *,
              cancel: bool) -> tuple[VoiceMode, list[str], list[str]]:
    """Voice mode wired to the speaker as the app wires it: Hearth stops when the person starts."""
    speaker = loudspeakers.speaker
    mode = VoiceMode(lambda: transcriber, device="pulse", echo=loudspeakers.echo if cancel else None)
    speaker.speaking.connect(mode.set_hearth_speaking)
    started: list[str] = []
    heard: list[str] = []
    mode.speechStarted.connect(lambda: started.append("started"))
    mode.speechStarted.connect(speaker.stop)
    mode.heard.connect(heard.append)
    with qtbot.waitSignal(mode.listening, timeout=10_000):
        mode.start()
    return mode, started, heard


@pytest.mark.parametrize("cancel", [True, False], ids=["cancelled", "not-cancelled"])
def test_hearth_reading_on_loudspeakers_is_not_taken_for_the_person(qtbot, transcriber, loudspeakers, blocks,
                                                                    cancel):
    mode, started, heard = listening(qtbot, transcriber, loudspeakers, cancel=cancel)
    speaker = loudspeakers.speaker
    try:
        with qtbot.waitSignal(speaker.speaking, check_params_cb=lambda on: not on, timeout=120_000):
            speaker.say(ANSWER)
        qtbot.wait(1_500)  # an utterance under way would end 700 ms after its last loud block
    finally:
        mode.stop()
    if not cancel:  # what the canceller is for: its own voice, from loudspeakers, stops Hearth
        assert started, "Hearth's echo was not taken for speech: the cancelled case proves nothing"
        return
    left = [(i, round(raw, 3), round(kept, 3)) for i, (raw, kept) in enumerate(blocks) if kept > 0.01]
    assert started == [] and heard == [], (started, heard, len(blocks), left[:30])  # (block, heard, left)
    echo = np.array([(raw, kept) for raw, kept in blocks if raw > 0.02])  # Hearth audible in the microphone
    assert len(echo) > 100, f"only {len(echo)} blocks of echo: did Hearth play into the microphone?"
    suppression = 10 * np.log10(np.sum(echo[:, 0] ** 2) / max(np.sum(echo[:, 1] ** 2), 1e-12))
    assert suppression >= 20, f"the echo was suppressed by {suppression:.1f} dB only"


def test_a_person_talking_over_hearth_interrupts_it_and_is_heard(qtbot, transcriber, loudspeakers, room, speak,
                                                                  tmp_path):
    speaker = loudspeakers.speaker
    person = no_louder_than_hearth(speak(PERSON, name="person.wav"), speaker, tmp_path / "person.wav")
    mode, started, heard = listening(qtbot, transcriber, loudspeakers, cancel=True)
    player = None
    try:
        with qtbot.waitSignal(speaker.speaking, timeout=30_000):
            speaker.say(ANSWER)
        qtbot.wait(3_000)  # Hearth is well into its first sentence (its sound starts about a second after)
        assert started == [], "Hearth's own voice was taken for the person"
        with qtbot.waitSignal(mode.heard, timeout=60_000):
            player = subprocess.Popen(["paplay", f"--device={room}", str(person)])
    finally:
        mode.stop()
        if player is not None:
            player.wait(30)
    assert started, "the person talking over Hearth did not interrupt it"
    assert word_error_rate(PERSON, heard[-1]) <= 0.35, heard


def no_louder_than_hearth(wav: Path, speaker: Speaker, path: Path) -> Path:
    """The person's clip, scaled to 0.8 times the level of Hearth's voice (both measured
    where they speak), as a 16 kHz WAV."""
    hearth = PiperVoice(speaker.voice).speech(" ".join(ANSWER))
    person = read_wav(wav)
    scaled = person * 0.8 * speech_level(hearth) / speech_level(person)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WHISPER_RATE)
        out.writeframes((np.clip(scaled, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def speech_level(samples: np.ndarray) -> float:
    """RMS over the 20 ms blocks louder than -40 dBFS: the pauses do not count."""
    usable = len(samples) - len(samples) % 320
    levels = np.sqrt(np.mean(samples[:usable].reshape(-1, 320) ** 2, axis=1))
    return float(np.sqrt(np.mean(levels[levels > 0.01] ** 2)))


def test_echo_cancellation_opens_no_socket(tmp_path):
    """livekit is an SDK for LiveKit's servers; Hearth uses only its local audio module.
    Under strace, making the module and cancelling 3 s of echo opens no internet socket."""
    if shutil.which("strace") is None:
        pytest.fail("strace is not installed (the CI script installs it)")
    script = (
        "import numpy as np\n"
        "from desktop.services.speech.echo_canceller import EchoCanceller, EchoReference\n"
        "reference = EchoReference()\n"
        "played = np.random.default_rng(0).normal(0, 0.1, 48000).astype(np.float32)\n"
        "reference.record(played, 16000, 100.0)\n"
        "canceller = EchoCanceller(reference)\n"
        "assert canceller.active\n"
        "for i in range(150):\n"
        "    canceller.process(0.5 * played[i * 320:(i + 1) * 320], 100.0 + i * 0.02)\n"
        "print('cancelled', flush=True)\n"
    )
    trace = tmp_path / "trace.txt"
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=%network", "-o", str(trace),
                           sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "cancelled" in done.stdout
    calls = trace.read_text().splitlines()
    assert [line for line in calls if "AF_INET" in line or "connect(" in line] == [], calls[:5]
