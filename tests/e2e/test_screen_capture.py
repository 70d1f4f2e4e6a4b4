"""Ask about my screen, on a real X server: a window shows a known test pattern; the
person drags over it with the (real, xdotool) mouse; the composer gets exactly that
part of the screen as an attachment, at its size and colours. Esc cancels and attaches
nothing; the Hearth window steps aside while the screen is shown and comes back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PATTERN = (100, 120, 240, 160)  # x, y, width, height on the screen
QUADRANTS = {"top_left": "#ff0000", "top_right": "#00ff00", "bottom_left": "#0000ff", "bottom_right": "#ffff00"}


def drive(result_file: str) -> None:  # runs in its own process, on the X server
    import base64

    from PySide6.QtCore import QEventLoop, QRect, QTimer
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop.gui.main_window import MainWindow

    app = QApplication([])
    x, y, width, height = PATTERN

    class Pattern(QWidget):
        def paintEvent(self, _event) -> None:
            painter = QPainter(self)
            half_w, half_h = width // 2, height // 2
            for (left, top), colour in zip(((0, 0), (half_w, 0), (0, half_h), (half_w, half_h)),
                                           QUADRANTS.values(), strict=True):
                painter.fillRect(QRect(left, top, half_w, half_h), QColor(colour))

    pattern = Pattern()
    pattern.setWindowTitle("Test pattern")
    pattern.setGeometry(x, y, width, height)
    pattern.show()
    window = MainWindow()
    window.setGeometry(700, 100, 800, 600)
    window.composer.vision = True
    window.show()
    report: dict = {}

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def run(*command: str) -> None:
        subprocess.Popen(["xdotool", *command])

    wait(500)
    shots = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", "build")) / "screenshots"  # the README's
    shots.mkdir(parents=True, exist_ok=True)

    def drag(picker) -> None:
        report["hidden_while_picking"] = not window.isVisible()
        report["picker_covers_screen"] = picker.geometry() == window.screen().geometry()
        run("mousemove", str(x), str(y), "mousedown", "1", "mousemove", str(x + width // 2), str(y + height // 2),
            "sleep", "0.3", "mousemove", str(x + width), str(y + height), "sleep", "0.3", "mouseup", "1")
        QTimer.singleShot(450, lambda: picker.grab().scaled(800, 500).save(str(shots / "screen-capture.png")))

    window.screen_ask.opened.connect(drag)
    done = QEventLoop()
    window.screen_ask.captured.connect(lambda _image: QTimer.singleShot(200, done.quit))
    QTimer.singleShot(15_000, done.quit)
    window.ask_about_screen()
    done.exec()
    report["visible_after"] = window.isVisible()
    report["attachments"] = [(a.width, a.height, a.source_name) for a in window.composer.attachments]
    if window.composer.attachments:
        png = base64.b64decode(window.composer.attachments[0].data_uri.split(",", 1)[1])
        image = QImage.fromData(png)
        spots = {"top_left": (width // 4, height // 4), "top_right": (3 * width // 4, height // 4),
                 "bottom_left": (width // 4, 3 * height // 4), "bottom_right": (3 * width // 4, 3 * height // 4)}
        report["colours"] = {name: image.pixelColor(*spot).name() for name, spot in spots.items()}

    window.screen_ask.opened.disconnect(drag)
    window.screen_ask.opened.connect(lambda picker: run("key", "--window", str(int(picker.winId())), "Escape"))
    cancelled = QEventLoop()
    QTimer.singleShot(15_000, cancelled.quit)
    window.ask_about_screen()
    while window.screen_ask.picker is None and not window.isVisible():
        wait(50)
    while window.screen_ask.picker is not None:
        wait(50)
    wait(200)
    report["after_escape"] = len(window.composer.attachments)
    report["visible_after_escape"] = window.isVisible()
    Path(result_file).write_text(json.dumps(report))
    window.close()
    app.quit()


def test_a_dragged_region_of_the_screen_arrives_as_an_attachment(xserver, tmp_path):
    result = tmp_path / "result.json"
    code = f"import test_screen_capture; test_screen_capture.drive({str(result)!r})"
    env = dict(xserver, PYTHONPATH=str(Path(__file__).parent), HEARTH_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(result.read_text())
    assert report["hidden_while_picking"] and report["picker_covers_screen"]
    assert report["attachments"] == [[PATTERN[2], PATTERN[3], "screen capture"]]
    assert report["colours"] == QUADRANTS
    assert report["visible_after"]
    assert report["after_escape"] == 1 and report["visible_after_escape"]  # Esc: nothing more attached
