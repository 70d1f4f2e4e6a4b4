"""Window measurements for `hearth bench`: opening a long conversation and rendering a
streamed answer, on the real widgets (offscreen where there is no display).

- Open: a 1,000-message conversation with code blocks is read from a real SQLite
  store and shown, until the newest messages are laid out and painted.
- Stream: an 18 KB answer with prose and code arrives in ~30 Hz-sized pieces; the
  GUI-thread time spent rendering is reported per KB (every piece is rendered).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.core.conversation import Message
from desktop.gui.main_window import MainWindow
from desktop.services.history.conversation_store import ConversationStore

__all__ = ["WindowTimings", "long_answer", "measure_window"]

_PIECE_CHARS = 24  # about what 30 Hz batches carry at 20-30 tokens/s


@dataclass(frozen=True)
class WindowTimings:
    open_messages: int
    open_ms: float  # read from SQLite, build, lay out and paint the newest messages (older ones follow)
    stream_kb: float
    stream_ms_per_kb: float  # GUI-thread rendering per KB of streamed answer


def long_answer(kb: int = 18) -> str:
    """A code-heavy answer of about `kb` KB: paragraphs, a list, a table and code."""
    parts = []
    index = 0
    while sum(len(p) for p in parts) < kb * 1024:
        parts.append(f"## Step {index}\n\nHere is how the **{index}th** part works, with `inline code` and a "
                     f"[link](https://example.org/{index}).\n\n- first point\n- second point\n\n"
                     f"| name | value |\n| --- | --- |\n| a{index} | {index} |\n\n"
                     f"```python\ndef step_{index}(items: list[int]) -> int:\n"
                     f"    total = 0\n    for item in items:\n        total += item * {index}\n"
                     f"    return total  # {'a long comment ' * 6}\n```\n\n")
        index += 1
    return "".join(parts)


def measure_window(scratch: Path, *, messages: int = 1000, answer_kb: int = 18) -> WindowTimings:
    """Both measurements in one window (call `gui_application()` first and keep it)."""
    app = QApplication.instance()
    assert app is not None
    database = scratch / "window-bench.sqlite3"
    store = ConversationStore(database)
    try:
        conversation = store.create("A long conversation")
        for i in range(messages):
            store.append(conversation, Message.user(f"Question {i}: how do I sum a list?") if i % 2 == 0
                         else Message.assistant(long_answer(1)))
        window = MainWindow()
        window.resize(1440, 900)
        window.show()
        app.processEvents()
        start = time.perf_counter()
        window.chat.show_conversation(store.messages(conversation))
        app.processEvents()  # layout (and whatever older messages are built meanwhile)
        window.chat.viewport().grab()  # drawn, as the reader sees it
        open_ms = (time.perf_counter() - start) * 1000
        window.chat.clear()
        text = long_answer(answer_kb)
        window.chat.add_message(Message.user("Explain it step by step."))
        window.chat.begin_answer()
        app.processEvents()
        start = time.perf_counter()
        for offset in range(0, len(text), _PIECE_CHARS):
            window.chat.append_delta(text[offset:offset + _PIECE_CHARS])
            app.processEvents()
        stream_s = time.perf_counter() - start
        window.close()
        window.deleteLater()
        app.processEvents()
    finally:
        store.close()
    kb = len(text.encode()) / 1024
    return WindowTimings(open_messages=messages, open_ms=open_ms, stream_kb=kb, stream_ms_per_kb=stream_s * 1000 / kb)
