"""Byte counts for people: one formatting rule for the CLI, the window and messages."""

from __future__ import annotations

__all__ = ["human_duration", "human_size"]


def human_size(n: float) -> str:
    """1536 -> '1.5 KB', 3.2e9 -> '3.0 GB' (binary units, as file managers show them)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def human_duration(seconds: float) -> str:
    """75 -> '1:15', 3725 -> '1:02:05'."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
