"""Builds what a command needs from paths, settings and flags: one place, no globals."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from desktop.core.catalog import Catalog, read_catalog
from desktop.core.engine_types import EngineConfig, GenerationOptions
from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import check_pair, read_gguf_info
from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings, load_settings
from desktop.services.models.engine_choice import REMOTE_KEY_VARIABLE, EngineChoice, EngineRequest, choose_engine
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import TEST_PROJECTOR, TEST_PROJECTOR_NOTE

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

    def engine(self, args: argparse.Namespace | None = None, *, vision: bool = True,
               local: bool = False) -> EngineChoice:
        """The engine and model files for this command: the settings with the flags'
        overrides, by the rule the window follows too (`choose_engine`)."""
        if args is not None and getattr(args, "api_key", None) is not None:
            raise HearthError("--api-key is refused: every user of this computer can read a command line. "
                              f"Set {REMOTE_KEY_VARIABLE}, or the remote API key in Settings.")
        flag = (lambda name: getattr(args, name, None)) if args is not None else (lambda name: None)
        request = EngineRequest(model=flag("model"), mmproj=flag("mmproj"), n_ctx=flag("ctx"),
                                remote_url=flag("remote"), remote_model=flag("remote_model"),
                                vision=vision, local=local)
        choice = choose_engine(self.settings, self.store, request)
        if choice.local is None and choice.remote is None:
            raise ModelFileError(choice.problem)
        return choice

    def local_engine(self, args: argparse.Namespace | None = None, *, vision: bool = True) -> EngineConfig:
        """This computer's llama.cpp engine for the command, whatever remote one is set."""
        config = self.engine(args, vision=vision, local=True).local
        assert config is not None  # a local choice has a config or raised
        return config

    def catalog(self) -> Catalog:
        return read_catalog(self.paths.catalog_file)

    def mmproj_fits(self, mmproj: Path) -> None:
        """Raise `ModelFileError` unless `mmproj` pairs with the configured chat model."""
        check_pair(read_gguf_info(self.local_engine(vision=False).model_path), read_gguf_info(mmproj))

    def whisper_model(self) -> Path:
        found = self.store.chosen("whisper", self.settings.whisper_path)
        if found is None:
            raise ModelFileError(f"No Whisper model is installed: {_INSTALL_HINT}.")
        return found

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
