"""Hearth beyond its window, on a real X server with a real tray host (trayer): the tray
icon's menu, Quick Ask opened by the global key (Ctrl+Alt+Space) while another app's
window has the focus, and hidden by it again (it toggles), its answer from the real
starter model kept in the history and opened in the main window with what was typed
and not sent, and closing the window keeping Hearth running in the tray until the
tray's Quit. The real app (HearthApp), driven in its own process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

OTHER_APP = ("from PySide6.QtWidgets import QApplication, QLabel; a = QApplication([]); w = QLabel('Other app'); "
             "w.setWindowTitle('Other app'); w.setGeometry(50, 500, 300, 120); w.show(); a.exec()")


def drive(result_file: str) -> None:  # runs in the app's own process, on the X server
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app.hearth_app import HearthApp
    from desktop.core.paths import HearthPaths
    from desktop.core.settings import load_settings
    from desktop.gui.quick_ask import TITLE

    app = QApplication([])
    paths = HearthPaths.from_environment().ensure()
    hearth = HearthApp(paths, load_settings(paths.settings_file))
    window, companion, report = hearth.window, hearth.companion, {}

    def wait_until(condition, ms: int = 60_000) -> bool:
        loop, timer = QEventLoop(), QTimer()
        timer.timeout.connect(lambda: loop.quit() if condition() else None)
        timer.start(50)
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        timer.stop()
        return bool(condition())

    window.show()
    wait_until(lambda: window.model_label.text().endswith("ctx"))
    report["tray"] = companion.tray is not None and companion.tray.isVisible()
    report["shortcut_problem"] = companion.shortcut_problem
    report["tray_actions"] = [a.text().split("\t")[0] for a in companion.tray.menu.actions() if a.text()]

    other = subprocess.Popen([sys.executable, "-c", OTHER_APP])
    wait_until(lambda: subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Other app"],
                                      capture_output=True).returncode == 0, 20_000)
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Other app"], capture_output=True,
                           text=True).stdout.split()
    subprocess.run(["xdotool", "windowfocus", "--sync", found[0]])
    report["focus_elsewhere"] = not window.isActiveWindow()
    subprocess.Popen(["xdotool", "key", "ctrl+alt+space"])  # through XTEST, as a keyboard types it
    quick = companion.quick
    report["quick_ask_opened"] = wait_until(lambda: quick.isActiveWindow(), 10_000)
    report["quick_ask_title"] = quick.windowTitle() == TITLE
    in_front = lambda: quick.isVisible() and QApplication.focusWindow() is quick.windowHandle()  # noqa: E731
    toggled = []
    for shown in (False, True, False, True):  # the key again and again: it hides, as a launcher's key does, and back
        subprocess.Popen(["xdotool", "key", "ctrl+alt+space"])
        toggled.append(wait_until(in_front if shown else lambda: not quick.isVisible(), 10_000))
    subprocess.run(["xdotool", "type", "Hi"])
    report["quick_ask_toggled"] = [*toggled, wait_until(lambda: quick.edit.toPlainText() == "Hi", 10_000)]
    companion.quick.edit.setPlainText("What is the capital of France? Answer with one word.")
    companion.quick.edit.enterPressed.emit()
    wait_until(lambda: companion.quick.open_button.isEnabled() and not companion.quick.stop_button.isVisible()
               and bool(companion.quick.answer.text), 120_000)
    report["quick_answer"] = companion.quick.answer.text
    shots = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", "build")) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    companion.quick.grab().save(str(shots / "quick-ask.png"))  # the README's
    companion.quick.edit.setPlainText("And of Italy?")  # typed, not sent: it goes along
    companion.quick.open_button.click()
    wait_until(lambda: len(window.chat.bubbles) >= 2, 10_000)
    report["opened_in_window"] = [(b.message.role, getattr(b, "text", "") or b.message.text) for b in window.chat.bubbles]
    report["quick_hidden"] = not companion.quick.isVisible()
    report["carried"] = (window.composer.edit.toPlainText(), companion.quick.edit.toPlainText())

    companion.tray.toggle.trigger()  # Hide Hearth
    report["hidden_by_tray"] = not window.isVisible()
    companion.tray.new_chat.trigger()
    report["new_chat_shows_window"] = window.isVisible() and window.chat.message_count == 0
    report["quick_ask_label"] = companion.tray.quick_ask.text()
    hearth.apply_settings(hearth.settings.updated(quick_ask_key=""))  # no key: the grab is let go
    report["no_key"] = (companion.shortcut is None, companion.tray.quick_ask.text())
    hearth.apply_settings(hearth.settings.updated(keep_in_tray=True))
    window.close()
    alive = QEventLoop()
    QTimer.singleShot(500, alive.quit)
    alive.exec()  # the app is still running: the loop ran, and nothing quit
    report["closed_but_running"] = not window.isVisible() and not app.quitOnLastWindowClosed()
    other.terminate()
    Path(result_file).write_text(json.dumps(report))
    QTimer.singleShot(0, companion.tray.quit.trigger)  # the tray's Quit ends it
    app.aboutToQuit.connect(hearth.shutdown)
    app.exec()
    report["quit_by_tray"] = True
    Path(result_file).write_text(json.dumps(report))


@pytest.fixture
def tray_host(xserver):
    if shutil.which("trayer") is None:
        pytest.fail("trayer is not installed (the CI script installs it): the tray needs a host")
    host = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200",
                             "--height", "32"], env=xserver, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield xserver
    host.terminate()
    host.wait(10)


def test_tray_quick_ask_by_global_key_and_keep_running(tray_host, cli_home, tmp_path):
    result = tmp_path / "result.json"
    env = dict(tray_host, HEARTH_HOME=str(cli_home), PYTHONPATH=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", f"import test_companion; test_companion.drive({str(result)!r})"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    report = json.loads(result.read_text())
    assert report["tray"] and report["shortcut_problem"] == ""
    assert report["tray_actions"] == ["New chat", "Quick ask", "Ask about my screen", "Hide Hearth", "Quit Hearth"]
    assert report["focus_elsewhere"] and report["quick_ask_opened"] and report["quick_ask_title"]
    assert report["quick_ask_toggled"] == [True] * 5  # hidden, back, hidden, back, and typing goes there
    assert "Paris" in report["quick_answer"]
    (asked_role, asked), (answer_role, answer) = report["opened_in_window"]
    assert (asked_role, asked) == ("user", "What is the capital of France? Answer with one word.")
    assert answer_role == "assistant" and "Paris" in answer and report["quick_hidden"]
    assert report["carried"] == ["And of Italy?", ""]
    assert report["hidden_by_tray"] and report["new_chat_shows_window"]
    assert report["quick_ask_label"] == "Quick ask\tCtrl+Alt+Space" and report["no_key"] == [True, "Quick ask"]
    assert report["closed_but_running"] and report["quit_by_tray"]
