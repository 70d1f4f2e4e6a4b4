"""Screenshots of the real window under Xvfb, light and dark, at 1440x900 and 800x600,
idle and mid-answer with code: the real app (HearthApp), the real starter model.

The pictures land in build/screenshots/ (HEARTH_SCREENSHOT_DIR); the README's come from
here. The test checks what a person would see: the theme's page colour behind the
chat, a code block drawn while the answer streams, the reading column never wider
than its limit, and no horizontal scrollbar in the sidebar.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("HEARTH_SCREENSHOT_DIR", REPO / "build")) / "screenshots"
SIZES = ((1440, 900), (800, 600))
QUESTION = "Write a Python function that returns the n-th Fibonacci number, in a code block, then explain it."


def drive(out: str) -> None:  # runs in the app's own process, on the X server
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app.hearth_app import HearthApp
    from desktop.core.paths import HearthPaths
    from desktop.core.settings import load_settings
    from desktop.gui.chat.code_block import CodeBlock
    from desktop.gui.theme import COLUMN_PX

    app = QApplication([])  # noqa: F841 - kept alive for the whole run
    paths = HearthPaths.from_environment().ensure()
    hearth = HearthApp(paths, load_settings(paths.settings_file))
    window, report = hearth.window, {}

    def settle(ms: int = 120) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(signal) -> None:
        loop = QEventLoop()
        signal.connect(lambda *_: loop.quit())
        loop.exec()

    def shoot(state: str) -> None:
        for scheme in ("light", "dark"):
            hearth.theme.force(scheme)
            for width, height in SIZES:
                window.resize(width, height)
                settle()
                name = f"{state}-{scheme}-{width}x{height}.png"
                window.grab().save(str(Path(out) / name))
                page = window.chat.viewport().mapTo(window, window.chat.viewport().rect().topLeft())
                report[name] = {
                    "page": window.grab().toImage().pixelColor(page.x() + 4, page.y() + 4).name(),
                    "column": window.chat.column.width(), "column_limit": COLUMN_PX,
                    "code_blocks": len([c for c in window.chat.findChildren(CodeBlock) if c.isVisible()]),
                    "sidebar_hscroll": window.conversations.horizontalScrollBar().isVisible(),
                }

    window.show()
    wait_for(hearth.session.engineReady)
    shoot("idle")
    window.composer.edit.setPlainText(QUESTION)
    window.composer.send()
    partial: list[str] = []
    loop = QEventLoop()

    def delta(text: str) -> None:
        partial.append(text)
        if "".join(partial).count("\n") >= 8 and "```" in "".join(partial):
            loop.quit()

    hearth.session.answerDelta.connect(delta)
    hearth.session.answerFinished.connect(lambda *_: loop.quit())
    loop.exec()
    shoot("answering")
    hearth.session.stop()
    settle(500)
    hearth.theme.force(None)
    (Path(out) / "report.json").write_text(json.dumps(report, indent=1))
    hearth.shutdown()
    window.close()


def test_screenshots_light_and_dark_at_two_sizes(xserver, cli_home, tmp_path):
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(xserver, HEARTH_HOME=str(cli_home), PYTHONPATH=str(Path(__file__).parent))
    code = f"import test_screenshots; test_screenshots.drive({str(OUT)!r})"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    report = json.loads((OUT / "report.json").read_text())
    for state in ("idle", "answering"):
        for scheme, page in (("light", "#ffffff"), ("dark", "#1e1f22")):
            for width, height in SIZES:
                name = f"{state}-{scheme}-{width}x{height}.png"
                facts = report[name]
                assert (OUT / name).stat().st_size > 10_000
                assert facts["page"] == page, (name, facts)
                assert facts["column"] <= facts["column_limit"]
                assert not facts["sidebar_hscroll"]
                if state == "answering":
                    assert facts["code_blocks"] >= 1, (name, facts)
