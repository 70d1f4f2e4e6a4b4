"""The real app, started as a person starts it (`hearth`), on a real X server (Xvfb),
driven with xdotool: type a question, paste an image, read the answer, take a screenshot."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from tests_helpers import assistant_answers, started_process, visible_window, wait_for, word_error_rate

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", REPO / "build")) / "e2e-window.png"


@contextlib.contextmanager
def running_app(env: dict, tmp_path: Path, *, prefix: tuple[str, ...] = ()):
    """Start `hearth` (after `prefix`, e.g. strace), yield its window id once mapped and
    focused; on exit check that it quit by itself (or kill it) and printed no traceback."""
    log = tmp_path / "hearth.log"
    command = [*prefix, str(Path(sys.executable).with_name("hearth"))]
    with started_process(command, env=env, log=log) as app:

        def focused(window: str) -> bool:
            return subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env,
                                  capture_output=True).returncode == 0

        window = wait_for(lambda: visible_window(env, "^Hearth"), 60, "the Hearth window")
        wait_for(lambda: focused(window), 20, "the keyboard focus")
        yield window
        subprocess.run(["xdotool", "key", "--window", window, "ctrl+q"], env=env, check=True)
        assert app.wait(60) == 0
    assert "Traceback" not in log.read_text()


def wait_until_loaded(env: dict, window: str) -> None:
    """The title names the model once it is loaded ("Hearth — <model>")."""
    wait_for(lambda: "—" in subprocess.run(["xdotool", "getwindowname", window], env=env, capture_output=True,
                                           text=True).stdout, 60, "the model to load")


def microphone_open() -> bool:
    """Whether a `hearth` process records from PulseAudio right now (one of its source
    outputs exists; the virtual source's own output, and the test's, do not count)."""
    outputs = subprocess.run(["pactl", "list", "source-outputs"], capture_output=True, text=True).stdout
    return any(f'application.process.id = "{pid}"' in outputs for pid in _hearth_pids())


def _hearth_pids() -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(Path(sys.executable).with_name("hearth"))], capture_output=True,
                           text=True)
    return found.stdout.split()


def user_messages(database: Path) -> list[str]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as db:
        return [r[0] for r in db.execute("SELECT text FROM messages WHERE role = 'user' ORDER BY id")]


def test_holding_the_talk_key_puts_speech_in_the_composer(xserver, cli_home, tmp_path, speak, virtual_microphone):
    sentence = "Please turn on the kitchen lights and play some music."
    wav = speak(sentence, name="e2e-ptt.wav")
    env = dict(xserver, HEARTH_HOME=str(cli_home), PULSE_SOURCE="hearth_mic")
    settings = json.loads((cli_home / "config" / "settings.json").read_text())
    (cli_home / "config" / "settings.json").write_text(
        json.dumps(dict(settings, microphone="pulse", send_after_speaking=True))
    )
    with running_app(env, tmp_path) as window:
        wait_until_loaded(env, window)
        subprocess.run(["xdotool", "keydown", "--window", window, "ctrl+space"], env=env, check=True)
        wait_for(microphone_open, 20, "the app to open the microphone")
        virtual_microphone(wav)
        subprocess.run(["xdotool", "keyup", "--window", window, "space", "ctrl"], env=env, check=True)
        wait_for(lambda: not microphone_open(), 20, "the app to close the microphone on key-up")
        heard = wait_for(lambda: user_messages(cli_home / "data" / "history.sqlite3"), 60, "the spoken question")[0]
        assert word_error_rate(sentence, heard) <= 0.1, heard
        subprocess.run(["xdotool", "key", "--window", window, "Escape"], env=env, check=True)


def test_question_with_pasted_image_streams_an_answer(xserver, cli_home, tmp_path):
    env = dict(xserver, HEARTH_HOME=str(cli_home))
    database = cli_home / "data" / "history.sqlite3"
    with running_app(env, tmp_path) as window:
        picture = tmp_path / "sunset.png"
        Image.new("RGB", (640, 400), (250, 140, 40)).save(picture)
        subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-i", str(picture)], env=env, check=True)
        subprocess.run(["xdotool", "key", "--window", window, "ctrl+v"], env=env, check=True)
        subprocess.run(["xdotool", "type", "--delay", "20", "What is the capital of France? Answer with one word."],
                       env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        answer = wait_for(lambda: assistant_answers(database), 180, "the streamed answer")[0]
        time.sleep(0.5)  # let the last repaint land before the screenshot
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", window, str(SCREENSHOT)], env=env, check=True)
    assert "paris" in answer.lower()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 1
    shot = Image.open(SCREENSHOT)
    colours = shot.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert shot.size[0] > 800 and len(colours) > 50  # a real, drawn window


def test_a_full_turn_opens_no_network_socket(xserver, cli_home, tmp_path, speak, virtual_microphone):
    """Load, a pasted image, a spoken question, the answer and the history write, with
    every socket the process (and its threads and children) creates recorded by strace:
    none may be an internet socket. No telemetry, no update check, nothing fetched."""
    if shutil.which("strace") is None:
        pytest.fail("strace is not installed (the CI script installs it)")
    sentence = "Please turn on the kitchen lights and play some music."  # tiny.en hears this one reliably
    wav = speak(sentence, name="offline.wav")
    # Name the sound server's socket, as a desktop session does: libpulse then has no
    # server list to search (one fresh-clone run saw its resolver threads look up names).
    server = next(line.split(":", 1)[1].strip() for line in subprocess.run(
        ["pactl", "info"], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Server String"))
    env = dict(xserver, HEARTH_HOME=str(cli_home), PULSE_SOURCE="hearth_mic")
    if server.startswith("/"):
        env["PULSE_SERVER"] = f"unix:{server}"
    settings = json.loads((cli_home / "config" / "settings.json").read_text())
    (cli_home / "config" / "settings.json").write_text(
        json.dumps(dict(settings, microphone="pulse", send_after_speaking=True, temperature=0.0)))
    database = cli_home / "data" / "history.sqlite3"
    trace = tmp_path / "sockets.trace"
    strace = ("strace", "-f", "-Y", "--seccomp-bpf", "-qq", "-s", "200", "-e",
              "trace=socket,connect,sendto,sendmmsg,execve", "-o", str(trace))
    with running_app(env, tmp_path, prefix=strace) as window:
        wait_until_loaded(env, window)
        picture = tmp_path / "harbour.png"
        Image.new("RGB", (320, 200), (40, 90, 200)).save(picture)
        subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-i", str(picture)], env=env,
                       check=True)
        subprocess.run(["xdotool", "key", "--window", window, "ctrl+v"], env=env, check=True)
        subprocess.run(["xdotool", "keydown", "--window", window, "ctrl+space"], env=env, check=True)
        wait_for(microphone_open, 20, "the app to open the microphone")
        virtual_microphone(wav)
        subprocess.run(["xdotool", "keyup", "--window", window, "space", "ctrl"], env=env, check=True)
        answer = wait_for(lambda: assistant_answers(database), 180, "the answer to the spoken question")[0]
    heard = user_messages(database)[0]
    assert word_error_rate(sentence, heard) <= 0.1, heard
    assert answer.strip()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 1
    lines = trace.read_text().splitlines()
    assert any("connect(" in line and "AF_UNIX" in line for line in lines)  # the trace works: X, PulseAudio
    assert network_use(lines) == []


def network_use(lines: list[str]) -> list[str]:
    """Every connection to another host, and every DNS question that is not about this
    machine's own name. (The system's audio stack, libpulse, may ask DNS for this host's
    own address while connecting to the local sound server: that names no other host.)"""
    import re
    import socket

    own = {socket.gethostname().split(".")[0].encode(), b"localhost"}
    dns: set[tuple[str, str]] = set()
    used = []
    for line in lines:
        pid = line.split()[0]
        call = re.search(r"(connect|sendto|sendmmsg)\((\d+),", line)
        if call is None:
            continue
        fd = (pid, call.group(2))
        if call.group(1) == "connect" and "AF_INET" in line:
            if "htons(53)" in line:
                dns.add(fd)
            else:
                used.append(line)
        elif fd in dns:
            asked = line.encode().decode("unicode_escape").encode("latin-1")
            if not any(bytes([len(name)]) + name in asked for name in own):  # this host (+ a search domain)
                used.append(line)
    return used


def test_kill_9_mid_answer_loses_nothing_saved(xserver, cli_home, tmp_path):
    """SIGKILL while an answer streams: on restart every earlier message is there, the
    database passes its integrity check, and the app starts normally."""
    env = dict(xserver, HEARTH_HOME=str(cli_home))
    settings = json.loads((cli_home / "config" / "settings.json").read_text())
    (cli_home / "config" / "settings.json").write_text(json.dumps(dict(settings, temperature=0.0)))
    database = cli_home / "data" / "history.sqlite3"
    hearth = str(Path(sys.executable).with_name("hearth"))
    with started_process([hearth], env=env, log=tmp_path / "killed.log") as app:
        window = wait_for(lambda: visible_window(env, "^Hearth"), 60, "the Hearth window")
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
        wait_until_loaded(env, window)
        subprocess.run(["xdotool", "type", "--delay", "10", "What is the capital of France? One word."], env=env,
                       check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        wait_for(lambda: assistant_answers(database), 120, "the first answer")
        subprocess.run(["xdotool", "type", "--delay", "10", "Write a long story about a lighthouse."], env=env,
                       check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        wait_for(lambda: len(user_messages(database)) == 2, 60, "the second question to be saved")
        time.sleep(1.5)  # the question is saved and the answer is streaming: kill mid-stream
        app.kill()  # SIGKILL: no handler, no flush, no goodbye
        app.wait(10)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert user_messages(database) == ["What is the capital of France? One word.",
                                       "Write a long story about a lighthouse."]
    assert len(assistant_answers(database)) == 1 and "paris" in assistant_answers(database)[0].lower()
    with running_app(env, tmp_path) as window:  # and it starts again, with the conversation listed
        wait_until_loaded(env, window)
