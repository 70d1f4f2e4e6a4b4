"""The person's settings, kept as JSON in the config folder.

A missing file means defaults; a damaged one is set aside as `settings.json.bad`
(nothing is silently overwritten) and defaults are used, with a warning logged.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from desktop.core.private_files import write_private_text


def _default_quick_ask_key() -> str:
    """Option+Space on macOS, as launchers there use (Qt's "Ctrl" is ⌘ on macOS:
    Ctrl+Alt+Space would be ⌘⌥Space, the Finder's search window)."""
    return "Alt+Space" if sys.platform == "darwin" else "Ctrl+Alt+Space"

__all__ = ["DEFAULT_SYSTEM_PROMPT", "Settings", "load_settings", "save_settings"]

log = logging.getLogger(__name__)

DEFAULT_SYSTEM_PROMPT = (
    "You are Hearth, a helpful assistant that runs privately on this computer. "
    "Answer clearly and concisely."
)


@dataclass(frozen=True, kw_only=True)
class Settings:
    model_path: str | None = None  # None: the installed starter chat model
    mmproj_path: str | None = None  # None: the installed projector, if any
    whisper_path: str | None = None  # None: the installed starter Whisper model
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    temperature: float = 0.7
    top_p: float = 0.95
    n_ctx: int = 4096
    gpu_offload: bool = True
    microphone: str | None = None  # None: the system's default input
    ptt_shortcut: str = "Ctrl+Space"  # hold to talk
    send_after_speaking: bool = False
    api_enabled: bool = False  # the window serves the OpenAI-compatible API on loopback
    api_port: int = 8765
    api_key: str | None = None  # what clients of that API send; made when it is first switched on
    remote_url: str | None = None  # an OpenAI-compatible server instead of local llama.cpp
    remote_model: str | None = None  # None: the first model the server lists
    remote_api_key: str | None = None
    # the window, as the person left it
    window_geometry: str | None = None  # Qt's saveGeometry(), base64
    sidebar_width: int | None = None
    last_conversation: int | None = None
    vision_tip_seen: bool = False  # the starter projector's notice is shown once
    appearance: str = "system"  # "light", "dark", else the system's colour scheme
    keep_in_tray: bool = False  # closing the window keeps Hearth (and its model) running in the tray
    quick_ask_key: str = field(default_factory=_default_quick_ask_key)  # opens Quick Ask from any app ("" for none)
    read_aloud: bool = False  # answers are spoken as they are written
    voice: str | None = None  # the Piper voice's name; None: the first installed one

    def updated(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def with_default(self, role: str, path: str) -> Settings:
        """Make `path` the default for `role`: a language model ("chat", "plumbing")
        gets its own paired projector, so the configured one is cleared."""
        if role in ("chat", "plumbing"):
            return replace(self, model_path=path, mmproj_path=None)
        if role == "mmproj":
            return replace(self, mmproj_path=path)
        if role == "whisper":
            return replace(self, whisper_path=path)
        raise ValueError(f"no default for role {role!r}")

    def forgetting(self, removed: set[str]) -> Settings:
        """These settings without paths that were removed (back to the installed defaults)."""
        return replace(
            self,
            **{name: None for name in ("model_path", "mmproj_path", "whisper_path")
               if getattr(self, name) in removed},
        )


def load_settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("settings must be a JSON object")
        known = {f.name for f in fields(Settings)}
        return Settings(**{k: v for k, v in raw.items() if k in known})
    except (ValueError, TypeError, OSError) as error:
        backup = path.with_name(path.name + ".bad")
        os.replace(path, backup)
        log.warning("settings file %s is damaged (%s); kept as %s, using defaults", path, error, backup)
        return Settings()


def save_settings(path: Path, settings: Settings) -> None:
    """Whole or not at all, and owner-only: the file holds API keys."""
    write_private_text(path, json.dumps(asdict(settings), indent=2))
