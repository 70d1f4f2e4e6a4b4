"""A reasoning model's thinking above its answer, as the chat apps show it: "Thinking… N s"
while it streams, "Thought for N s" once the answer starts; folded, opened with a click,
Space, Enter or Return on its header.

The thinking is untrusted model text: it renders as Markdown through the answers' own
`AnswerView` (raw HTML escaped, nothing loaded, links open only when clicked), in the
secondary colour, and only while it is open (a folded section costs nothing to stream).

Stopped or cut off at the length limit before any answer, the heading says so and the
section opens by itself, so the message never looks empty. Whether a section is open is
kept for the session: the chat rebuilds its messages when the person switches
conversations, and a streaming answer is rebuilt from what has come so far.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QToolButton, QVBoxLayout, QWidget

from desktop.core.engine_types import FinishReason
from desktop.gui.chat.answer_view import AnswerView
from desktop.gui.icons import icon

__all__ = ["ThoughtMemory", "ThoughtSection", "duration_text", "thought_title"]

ICON_PX = 18  # the caret drawn in it is ~12 px (the icon set leaves a margin)
_TICK_MS = 1000
_SAME_S = 1.5  # the window's clock and the engine's differ by the relay's batching, no more
_CUT_TITLES = {"cancelled": "Stopped while thinking", "length": "Thinking was cut off at the length limit"}


def duration_text(seconds: float) -> str:
    """"N s" under a minute, "M min S s" above (95 s is "1 min 35 s", not "2 min")."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def thought_title(seconds: float | None, *, cut: FinishReason | None = None) -> str:
    """The header: how long the model thought, or why the thinking ended with no answer."""
    if cut in _CUT_TITLES:
        return _CUT_TITLES[cut]
    if seconds is None:
        return "Thinking…"
    if seconds < 1:
        return "Thought for less than a second"
    return f"Thought for {duration_text(seconds)}"


@dataclass
class _Live:
    """The streaming answer's thinking, kept past its widget (switching conversations
    rebuilds the message from what has come so far)."""

    key: int  # the answer's position in its conversation
    text: str
    started: float  # time.monotonic() at its first words
    seconds: float | None = None  # how long it took, once the answer began
    opened: bool = False


class ThoughtMemory:
    """What the sections of one chat view remember past their widgets, for the session:
    the streaming answer's thinking (one at a time), and which finished thoughts the
    person opened or closed (by the answer's position and the thought's text)."""

    def __init__(self) -> None:
        self.live: _Live | None = None
        self.opened: dict[tuple[int, int], bool] = {}


_clock = time.monotonic  # (tests replace it)


class _Header(QToolButton):
    """The fold's header: Enter and Return toggle it as Space does."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.isAutoRepeat():
            self.click()
            event.accept()
            return
        super().keyPressEvent(event)


class _Body(QFrame):
    """The thinking, set off by a rule on its left; rendered only while shown."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ThoughtBody")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 2, 0, 2)
        self.view = AnswerView(self)
        self.view.setObjectName("ThoughtText")
        layout.addWidget(self.view)

    def text(self) -> str:
        """The thinking as shown (Markdown rendered)."""
        return self.view.plain_text()


class ThoughtSection(QWidget):
    """Hidden until there is thinking to show. `key`: the answer's position, which tells
    a rebuilt streaming answer from a new one."""

    def __init__(self, parent: QWidget | None = None, *, key: int = -1, memory: ThoughtMemory | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self._memory = memory or ThoughtMemory()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)  # a paragraph's space before the answer
        layout.setSpacing(6)
        self.toggle = _Header(self)
        self.toggle.setObjectName("ThoughtToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setIconSize(QSize(ICON_PX, ICON_PX))
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAccessibleDescription("Shows or hides the model's thinking")
        self.toggle.toggled.connect(self._opened)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.body = _Body(self)
        self.body.hide()
        layout.addWidget(self.body)
        self._text = ""
        self._started: float | None = None
        self._seconds: float | None = None  # the thinking's length, once known
        self._done = False  # the answer is complete: the thinking will not grow
        self._live: _Live | None = None  # this section's entry while it streams
        self._tick = QTimer(self)
        self._tick.setInterval(_TICK_MS)
        self._tick.timeout.connect(self._show_title)
        self._cut: FinishReason | None = None
        self._show_title()
        self._show_icon()
        self.hide()

    @property
    def text(self) -> str:
        return self._text

    @property
    def opened(self) -> bool:
        return self.toggle.isChecked()

    @property
    def seconds(self) -> float | None:
        return self._seconds

    def append(self, text: str) -> None:
        """More thinking, as it streams."""
        memory = self._memory
        if not self._text:
            live = memory.live
            if live is not None and live.key == self.key and live.text and text.startswith(live.text):
                self._live = live  # the same answer, rebuilt: its clock and fold go on
                self._started, self._seconds = live.started, live.seconds
            else:
                self._started = _clock()
                self._live = memory.live = _Live(self.key, "", self._started)
            self._tick.start()
        self._text += text
        if self._live is not None:
            self._live.text = self._text
        self.show()
        if self._live is not None and self._live.opened and not self.opened:
            self.toggle.setChecked(True)  # renders
        elif self.opened:
            self._render()
        if self._seconds is not None:
            self.end()
        self._show_title()

    def end(self) -> None:
        """The answer has begun: the thinking took until now, and the clock stops."""
        self._tick.stop()
        if self._started is not None and self._seconds is None:
            self._seconds = _clock() - self._started
            if self._live is not None:
                self._live.seconds = self._seconds
        self._show_title()

    def set_thought(self, text: str, seconds: float, *, cut: FinishReason | None = None) -> None:
        """The finished answer's thinking (streamed or stored), with the engine's measure of
        it: the one kept in the history, shown unless the person watched the clock stop at
        nearly the same (a heading that jumps a second as the answer ends looks wrong).
        `cut`: it ended, with no answer, for this reason."""
        memory, live = self._memory, self._memory.live
        self._tick.stop()
        streamed = self._live
        if streamed is not None and self.opened:
            memory.opened[self._remembered(text)] = True  # opened while it streamed: it stays open
        elif streamed is None and live is not None and live.key == self.key and live.text \
                and text.startswith(live.text):
            streamed = live  # it finished while another conversation was shown
            if live.opened:
                memory.opened.setdefault(self._remembered(text), True)
        if streamed is not None and streamed is live:
            memory.live = None
        self._live = None
        watched = self._seconds if streamed is not None else None
        self._text, self._cut, self._done = text, cut, True
        close = watched is not None and abs(watched - seconds) < _SAME_S and cut is None
        self._seconds = watched if close else seconds
        self._show_title()
        self.setVisible(bool(text.strip()))
        opened = memory.opened.get(self._remembered(text), cut is not None)  # cut short, no answer: open
        if opened != self.opened:
            self.toggle.setChecked(opened)
        elif opened:
            self._render()

    def clear(self) -> None:
        """No thinking after all (it turned out to be the answer): hidden, and forgotten."""
        self._tick.stop()
        if self._live is not None and self._live is self._memory.live:
            self._memory.live = None
        self._live = None
        self._text, self._seconds, self._cut, self._done = "", None, None, True
        self.toggle.setChecked(False)
        self.body.view.set_text("", streaming=False)
        self.hide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._show_icon()

    def _show_title(self) -> None:
        if self._cut is not None or self._seconds is not None or self._started is None:
            title = thought_title(self._seconds, cut=self._cut)
        else:  # the live clock, in whole seconds
            elapsed = _clock() - self._started
            title = "Thinking…" if elapsed < 1 else f"Thinking… {duration_text(elapsed)}"
        if title != self.toggle.text():
            self.toggle.setText(title)
            self.toggle.setAccessibleName(title)

    def _show_icon(self) -> None:
        self.toggle.setIcon(icon("caret-down-bold" if self.opened else "caret-right-bold"))

    def _render(self) -> None:
        """What has come so far; while it streams only the open block is rendered again."""
        self.body.view.set_text(self._text.lstrip(), streaming=not self._done)

    def _remembered(self, text: str) -> tuple[int, int]:
        return self.key, hash(text)

    def _opened(self, opened: bool) -> None:
        if self._live is not None:
            self._live.opened = opened
        elif self._done and self._text:
            self._memory.opened[self._remembered(self._text)] = opened
        self._show_icon()
        if opened:
            self._render()
        self.body.setVisible(opened)
