"""Which engine answers and which model files it loads: the one rule that the window,
`hearth ask`, `hearth chat`, `hearth serve` and `hearth bench` all follow.

The settings decide, and a command line may override them (`EngineRequest`). A remote
engine wins when one is configured, unless the request names a local model; otherwise
the configured chat model, else the installed one, with the projector that pairs with
it (`ModelStore.chosen`, `ModelStore.projector_for`). The choice is a value: the window
makes a new engine exactly when the choice for the new settings differs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from desktop.core.engine_types import EngineConfig
from desktop.core.errors import ModelFileError
from desktop.core.settings import Settings
from desktop.services.engines.answer_stream import ChatEngine
from desktop.services.engines.remote_engine import RemoteConfig
from desktop.services.models.model_store import ModelStore

__all__ = ["REMOTE_KEY_VARIABLE", "EngineChoice", "EngineRequest", "choose_engine"]

REMOTE_KEY_VARIABLE = "HEARTH_REMOTE_API_KEY"  # beats the key in Settings; never a command-line flag
NO_CHAT_MODEL = "No chat model is installed: run `hearth models install-starter` (or `make run`) first."


@dataclass(frozen=True)
class EngineRequest:
    """What a command line asks for beyond the settings; the defaults leave it to them."""

    model: str | None = None  # a local model file: also means "not the remote engine"
    mmproj: str | None = None
    n_ctx: int | None = None
    remote_url: str | None = None  # a remote engine for this run
    remote_model: str | None = None
    vision: bool = True  # False: no projector is loaded (nothing will be shown to the model)
    local: bool = False  # this computer's llama.cpp whatever the settings say (serve, bench)


@dataclass(frozen=True)
class EngineChoice:
    """Exactly one of `local` and `remote`, or neither with `problem` saying why."""

    local: EngineConfig | None = None
    remote: RemoteConfig | None = None
    problem: str = ""

    def make(self) -> ChatEngine:
        """The engine; it starts loading (or checking the server) on its own thread."""
        if self.remote is not None:
            from desktop.services.engines.remote_engine import RemoteEngine

            return RemoteEngine(self.remote)
        if self.local is None:
            raise ModelFileError(self.problem or NO_CHAT_MODEL)
        from desktop.services.engines.llm_engine import LlmEngine  # llama.cpp loads only when a local engine is made

        return LlmEngine(self.local)

    def files(self) -> set[Path]:
        """The model files this choice keeps open (none for a remote engine)."""
        if self.local is None:
            return set()
        return {p for p in (self.local.model_path, self.local.mmproj_path) if p is not None}


def choose_engine(
    settings: Settings, store: ModelStore, request: EngineRequest = EngineRequest(),
    environ: Mapping[str, str] = os.environ,
) -> EngineChoice:
    """The engine for `settings` with `request`'s overrides. Reads only the models
    folder's manifest and GGUF headers: cheap enough for the GUI thread."""
    remote = _remote(settings, request, environ)
    if remote is not None:
        return EngineChoice(remote=remote)
    model = store.chosen("chat", request.model or settings.model_path)
    if model is None:
        return EngineChoice(problem=NO_CHAT_MODEL)
    mmproj = None
    if request.vision:
        chosen_default = request.model is None or model == store.chosen("chat", settings.model_path)
        configured = request.mmproj or (settings.mmproj_path if chosen_default else None)
        mmproj = store.projector_for(model, configured)
    return EngineChoice(local=EngineConfig(model_path=model, mmproj_path=mmproj, n_ctx=request.n_ctx or settings.n_ctx,
                                           gpu_offload=settings.gpu_offload))


def _remote(settings: Settings, request: EngineRequest, environ: Mapping[str, str]) -> RemoteConfig | None:
    if request.local:
        return None
    url = request.remote_url or (None if request.model else settings.remote_url)
    if not url:
        return None
    model = request.remote_model or (settings.remote_model if not request.remote_url else None)
    key = environ.get(REMOTE_KEY_VARIABLE) or settings.remote_api_key
    return RemoteConfig(base_url=url, model=model or None, api_key=key or None)
