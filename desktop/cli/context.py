"""Builds what a command needs from paths, settings and flags: one place, no globals."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from desktop.core.catalog import Catalog, read_catalog
from desktop.core.engine_types import EngineConfig, GenerationOptions
from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import check_pair, read_gguf_info
from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings, load_settings
from desktop.services.model_store import ModelStore
from desktop.services.remote_engine import RemoteConfig
from desktop.services.starter_models import TEST_PROJECTOR, TEST_PROJECTOR_NOTE

__all__ = ["CliContext"]

_INSTALL_HINT = "run `hearth models install-starter` (or `make run`) first"


@dataclass(frozen=True)
class CliContext:
    paths: HearthPaths
    settings: Settings
    store: ModelStore

    @classmethod
    def create(cls) -> CliContext:
        paths = HearthPaths.from_environment().ensure()
        return cls(paths, load_settings(paths.settings_file), ModelStore(paths.models_dir))

    def chat_model(self, override: str | None) -> Path:
        found = self.store.chosen("chat", override or self.settings.model_path)
        if found is None:
            raise ModelFileError(f"No chat model is installed: {_INSTALL_HINT}.")
        return found

    def mmproj(self, model: Path, override: str | None) -> Path | None:
        """`--mmproj`, else the configured projector when `model` is the configured model,
        else the one paired with `model` (see `ModelStore.projector_for`)."""
        configured = self.settings.mmproj_path if model == self.chat_model(None) else None
        return self.store.projector_for(model, override or configured)

    def remote_config(self, args: argparse.Namespace) -> RemoteConfig | None:
        """`--remote`, else the configured remote engine unless `--model` asks for a local
        one; None: the local llama.cpp engine."""
        if getattr(args, "api_key", None) is not None:
            raise HearthError("--api-key is refused: every user of this computer can read a command line. "
                              "Set HEARTH_REMOTE_API_KEY, or the remote API key in Settings.")
        url = args.remote or (None if args.model else self.settings.remote_url)
        if not url:
            return None
        key = os.environ.get("HEARTH_REMOTE_API_KEY") or self.settings.remote_api_key
        model = args.remote_model or (self.settings.remote_model if not args.remote else None)
        return RemoteConfig(base_url=url, model=model, api_key=key)

    def catalog(self) -> Catalog:
        return read_catalog(self.paths.catalog_file)

    def mmproj_fits(self, mmproj: Path) -> None:
        """Raise `ModelFileError` unless `mmproj` pairs with the configured chat model."""
        check_pair(read_gguf_info(self.chat_model(None)), read_gguf_info(mmproj))

    def whisper_model(self) -> Path:
        found = self.store.chosen("whisper", self.settings.whisper_path)
        if found is None:
            raise ModelFileError(f"No Whisper model is installed: {_INSTALL_HINT}.")
        return found

    def engine_config(self, model: Path, mmproj: Path | None, n_ctx: int | None) -> EngineConfig:
        return EngineConfig(
            model_path=model,
            mmproj_path=mmproj,
            n_ctx=n_ctx or self.settings.n_ctx,
            gpu_offload=self.settings.gpu_offload,
        )

    def generation_options(
        self, *, temperature: float | None, max_tokens: int | None, seed: int | None
    ) -> GenerationOptions:
        return GenerationOptions(
            temperature=self.settings.temperature if temperature is None else temperature,
            top_p=self.settings.top_p,
            max_tokens=max_tokens,
            seed=seed,
        )

    @staticmethod
    def projector_note(mmproj: Path | None) -> str | None:
        """The warning to print when images go to the random-weight test projector."""
        if mmproj is not None and mmproj.name == TEST_PROJECTOR:
            return f"note: {TEST_PROJECTOR} is a {TEST_PROJECTOR_NOTE}."
        return None
