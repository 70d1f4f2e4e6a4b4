"""What audio inputs exist, and the short cues played when push-to-talk starts and stops."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np

__all__ = ["CuePlayer", "device_failure", "input_device_names"]

log = logging.getLogger(__name__)


def device_failure(error: Exception, *, microphone: bool) -> str:
    """The sentence a person reads when a microphone or sound output would not open.
    PortAudio's own words ("Error querying device -1", "Invalid sample rate") help
    nobody in the window: they go to the log."""
    log.warning("opening the %s failed: %s", "microphone" if microphone else "sound output", error)
    if microphone:
        return ("No microphone could be opened: check that one is connected, and the one chosen in "
                "Settings → Voice")
    return "No sound output could be opened: check that speakers or headphones are connected"


def input_device_names() -> list[str]:
    """Names of the devices that can record; [] when PortAudio or devices are missing."""
    try:
        import sounddevice

        return [d["name"] for d in sounddevice.query_devices() if d["max_input_channels"] > 0]
    except Exception as error:  # OSError: no PortAudio; PortAudioError: no host API
        log.info("no audio inputs: %s", error)
        return []


class CuePlayer:
    """Plays the push-to-talk cues (WAV files in assets/sounds) without blocking.

    A missing output device only costs the cue, never the recording.
    """

    def __init__(self, start: Path, stop: Path) -> None:
        self._cues = {"start": _read(start), "stop": _read(stop)}

    def play(self, name: str) -> None:
        cue = self._cues.get(name)
        if cue is None:
            return
        try:
            import sounddevice

            samples, rate = cue
            sounddevice.play(samples, rate, blocking=False)
        except Exception as error:
            log.info("cue %s not played: %s", name, error)


def _read(path: Path) -> tuple[np.ndarray, int] | None:
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return data, rate
    except (OSError, wave.Error) as error:
        log.warning("cue %s unreadable: %s", path, error)
        return None
