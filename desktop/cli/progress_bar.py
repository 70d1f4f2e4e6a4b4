"""A one-line download progress bar for the terminal: bytes, speed and ETA per file."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

from desktop.core.units import human_duration

if TYPE_CHECKING:  # huggingface_hub stays unloaded until something is downloaded
    from desktop.services.models.downloader import DownloadProgress

__all__ = ["ProgressBar"]

_WIDTH = 24


class ProgressBar:
    """Redraws one line with `\\r` (a new line per file), at most every 0.2 s."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._file = ""
        self._drawn = 0.0
        self._line = ""

    def update(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        finished = progress.total > 0 and progress.done >= progress.total
        if progress.filename != self._file:
            if self._file:
                self._stream.write("\n")
            self._file = progress.filename
        elif now - self._drawn < 0.2 and not finished:
            return
        self._drawn = now
        fraction = progress.done / progress.total if progress.total else 0.0
        filled = int(fraction * _WIDTH)
        eta = human_duration(progress.eta_s) if progress.eta_s is not None else "--:--"
        self._line = (
            f"\r{progress.filename[:40]:<40} [{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:>4.0%} "
            f"{progress.done / 2**20:,.1f}/{progress.total / 2**20:,.1f} MB "
            f"{progress.bytes_per_s / 2**20:.1f} MB/s ETA {eta}"
        )
        self._stream.write(self._line)
        self._stream.flush()

    def finish(self) -> None:
        if self._file:
            self._stream.write("\n")
            self._stream.flush()
            self._file = ""
