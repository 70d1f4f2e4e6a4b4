"""The real installer for Linux: `make appimage` builds Hearth-x86_64.AppImage (PyInstaller
folder + our runtime + squashfs), and a person with no network double-clicks it.

Built once per session (about two minutes). Every run is in a network namespace with
no interface but a downed loopback (`unshare -n`), so anything the app tried to fetch
would fail: the first start, the answer and `hearth doctor` all happen offline.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image
from tests_helpers import assistant_answers, started_process, visible_window, wait_for

from desktop.core.paths import HearthPaths

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", REPO / "build"))


@pytest.fixture(scope="session")
def appimage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("appimage-build")
    made = subprocess.run(["make", "--no-print-directory", "appimage", f"BUILD={build}"], cwd=REPO,
                          capture_output=True, text=True, timeout=1800)
    assert made.returncode == 0, (made.stdout + made.stderr)[-4000:]
    image = build / "Hearth-x86_64.AppImage"
    print(f"\n{image.name}: {image.stat().st_size / 2**20:.0f} MB")  # shown with -s; the README quotes it
    return image


def offline(*command: str | Path) -> list[str]:
    """`command` with no network at all (needs root, as CI and this machine have)."""
    return ["unshare", "--net", *map(str, command)]


def hearth_mounts() -> list[str]:
    with open("/proc/mounts") as mounts:
        return [line for line in mounts if "/.mount_Hearth" in line]


def screenshot(env: dict, window: str, name: str) -> Image.Image:
    """The window once it is drawn: a window can be mapped a moment before its first paint."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def drawn() -> Image.Image | None:
        subprocess.run(["import", "-window", window, str(SCREENSHOTS / name)], env=env, check=True)
        shot = Image.open(SCREENSHOTS / name).convert("RGB")
        return shot if len(shot.getcolors(maxcolors=1_000_000) or []) > 20 else None

    return wait_for(drawn, 10, f"{name} to be drawn (it stayed blank)")


def test_first_start_offline_sets_up_models_opens_the_window_and_answers(xserver, appimage, tmp_path):
    home = tmp_path / "home"
    env = dict(xserver, HEARTH_HOME=str(home))
    database = HearthPaths.from_environment({"HEARTH_HOME": str(home)}).history_db
    log = tmp_path / "appimage.log"
    with started_process(offline(appimage), env=env, log=log) as app:
        setup = wait_for(lambda: visible_window(env, "^Setting up Hearth"), 120, "the first-run dialog")
        screenshot(env, setup, "appimage-first-run.png")
        window = wait_for(lambda: visible_window(env, "^Hearth — "), 180, "the window with its model loaded")
        if Path("/dev/fuse").exists():  # else the runtime extracts (test_appimage.py covers both)
            assert hearth_mounts(), "the AppImage should run from its FUSE mount"
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
        subprocess.run(["xdotool", "type", "--delay", "20", "What is the capital of France? One word."],
                       env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        answer = wait_for(lambda: assistant_answers(database), 180, "the answer")[0]
        assert "paris" in answer.lower()
        time.sleep(0.5)  # the last repaint
        assert screenshot(env, window, "appimage-window.png").size[0] >= 800
        subprocess.run(["xdotool", "key", "--window", window, "ctrl+q"], env=env, check=True)
        assert app.wait(60) == 0
    output = log.read_text()
    assert "Traceback" not in output, output[-3000:]
    assert not hearth_mounts(), "the runtime left its mount behind"


def test_hearth_doctor_inside_the_appimage_passes(appimage, tmp_path):
    # Extract-and-run, as on a machine without FUSE; NO_CLEANUP keeps the extracted folder
    # (in tmp_path) for the next two commands instead of extracting 1 GB three times.
    env = dict(os.environ, HEARTH_HOME=str(tmp_path / "home"), APPIMAGE_EXTRACT_AND_RUN="1", NO_CLEANUP="1",
               TMPDIR=str(tmp_path))
    installed = subprocess.run(offline(appimage, "models", "install-starter"), env=env, capture_output=True,
                               text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    doctor = subprocess.run(offline(appimage, "doctor"), env=env, capture_output=True, text=True, timeout=600)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "all checks passed" in doctor.stdout
    assert "llama-cpp-python 0.3" in doctor.stdout  # versions read from the bundled metadata
    assert "model        chat      qwen2.5" in doctor.stdout and "sha256 ok" in doctor.stdout
    answer = subprocess.run(offline(appimage, "ask", "What is the capital of France? One word."), env=env,
                            capture_output=True, text=True, timeout=600)
    assert answer.returncode == 0 and "paris" in answer.stdout.lower(), answer.stdout + answer.stderr
    assert [p.name for p in tmp_path.glob("appimage_extracted_*")], "it should have run from an extracted copy"
