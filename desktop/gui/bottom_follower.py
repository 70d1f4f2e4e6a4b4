"""The chat's scrolling rule for any scroll area: while the reader is at the bottom, the
view follows what is added there (a streaming answer stays in view as it grows); once
they scroll up it stays where they read; `follow()` brings them back (a question was
sent). ChatView keeps the same rule in its own code (with its jump button and the
building of older messages); this is the rule alone.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QAbstractScrollArea

__all__ = ["BottomFollower"]

BOTTOM_SLACK_PX = 24  # this near the bottom counts as at it (as in ChatView)


class BottomFollower(QObject):
    def __init__(self, area: QAbstractScrollArea) -> None:
        super().__init__(area)
        self._bar = area.verticalScrollBar()
        self.following = True
        self._bar.rangeChanged.connect(self._range_changed)
        self._bar.valueChanged.connect(self._value_changed)

    def follow(self) -> None:
        """To the bottom now, and after each addition until the reader scrolls up."""
        self.following = True
        self._bar.setValue(self._bar.maximum())

    def _range_changed(self, _low: int, _high: int) -> None:
        if self.following:
            self._bar.setValue(self._bar.maximum())  # the maximum now: a handler before may have changed it

    def _value_changed(self, value: int) -> None:
        self.following = value >= self._bar.maximum() - BOTTOM_SLACK_PX
