"""The window starts fast: what only some runs need (the OpenAI client for a remote
engine, FastAPI and uvicorn for the local API, huggingface_hub's downloader, livekit's
echo canceller) is imported when it is used, not on every start (issue 15: cold start to
a window ≤ 1.5 s)."""

from __future__ import annotations

import os
import subprocess
import sys

DEFERRED = ("openai", "fastapi", "uvicorn", "starlette", "huggingface_hub.file_download",
            "livekit")  # voice mode's echo canceller: loaded when voice mode listens


def test_starting_the_window_imports_none_of_the_deferred_libraries():
    probe = (
        "import sys\n"
        "from desktop.cli import build_parser, load_llama_cpp_first\n"
        "load_llama_cpp_first(); build_parser()\n"
        "import desktop.app.hearth_app, desktop.app.first_run\n"
        f"print(sorted(m for m in {DEFERRED!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
