"""The real app, started as a person starts it (`hearth`), on a real X server (Xvfb),
driven with xdotool: type a question, paste an image, read the answer, take a screenshot."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", REPO / "build")) / "e2e-window.png"


@pytest.fixture
def xserver():
    for tool in ("Xvfb", "xdotool", "xclip", "import"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (the CI script installs it)")
    display = ":87"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x860x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, DISPLAY=display)
    env.pop("QT_QPA_PLATFORM", None)
    deadline = time.monotonic() + 20
    while subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.2)
    yield env
    server.terminate()
    server.wait(10)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def answers(database: Path) -> list[str]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as db:
        return [r[0] for r in db.execute("SELECT text FROM messages WHERE role = 'assistant' ORDER BY id")]


def test_question_with_pasted_image_streams_an_answer(xserver, cli_home, tmp_path):
    env = dict(xserver, HEARTH_HOME=str(cli_home))
    hearth = Path(sys.executable).with_name("hearth")
    log = tmp_path / "hearth.log"
    with log.open("w") as sink:
        app = subprocess.Popen([str(hearth)], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        window = wait_for(
            lambda: subprocess.run(["xdotool", "search", "--name", "^Hearth"], env=env, capture_output=True,
                                   text=True).stdout.split(),
            60, "the Hearth window",
        )[0]
        subprocess.run(["xdotool", "windowactivate", "--sync", window], env=env, check=False)
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
        picture = tmp_path / "sunset.png"
        Image.new("RGB", (640, 400), (250, 140, 40)).save(picture)
        subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-i", str(picture)], env=env, check=True)
        subprocess.run(["xdotool", "key", "--window", window, "ctrl+v"], env=env, check=True)
        subprocess.run(["xdotool", "type", "--delay", "20", "What is the capital of France? Answer with one word."],
                       env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        database = cli_home / "data" / "history.sqlite3"
        answer = wait_for(lambda: answers(database), 180, "the streamed answer")[0]
        time.sleep(0.5)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", window, str(SCREENSHOT)], env=env, check=True)
        assert "paris" in answer.lower()
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 1
        shot = Image.open(SCREENSHOT)
        colours = shot.convert("RGB").getcolors(maxcolors=1_000_000) or []
        assert shot.size[0] > 800 and len(colours) > 50  # a real, drawn window
        subprocess.run(["xdotool", "key", "--window", window, "ctrl+q"], env=env, check=True)
        assert app.wait(60) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert "Traceback" not in log.read_text()
