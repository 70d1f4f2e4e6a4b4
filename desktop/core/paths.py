"""The one module that knows where Hearth keeps its files.

`HearthPaths.from_environment()` is called once by the composition root (the CLI or
the app) and the result is passed down; nothing else calls platformdirs. Setting
`HEARTH_HOME` moves settings, data, models and caches under one folder (tests use it);
`HEARTH_CATALOG` names another model catalog (an organisation's own list, or a test's).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from desktop.core.private_files import make_private_dir, tighten

__all__ = ["APP_NAME", "HearthPaths", "assets_dir", "catalog_path", "repository_dir"]

APP_NAME = "Hearth"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HearthPaths:
    """Where settings, data, models and caches live. Directories are made on demand."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    catalog_file: Path = field(default_factory=lambda: catalog_path())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HearthPaths:
        env = os.environ if environ is None else environ
        catalog = {"catalog_file": Path(env["HEARTH_CATALOG"]).expanduser()} if env.get("HEARTH_CATALOG") else {}
        home = env.get("HEARTH_HOME")
        if home:
            root = Path(home).expanduser().resolve()
            return cls(config_dir=root / "config", data_dir=root / "data", cache_dir=root / "cache", **catalog)
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            **catalog,
        )

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def private_roots(self) -> tuple[Path, ...]:
        """The folders whose contents are the person's alone (owner-only modes)."""
        return (self.config_dir, self.data_dir, self.cache_dir)

    def ensure(self) -> HearthPaths:
        """Create the directories owner-only (0700) and return self. Folders and files an
        older install left readable by other users are made private, once, with a log line."""
        changed = tighten(self.private_roots)
        for directory in (*self.private_roots, self.models_dir):
            make_private_dir(directory)
        if changed:
            log.warning("made %d folder(s) and file(s) owner-only in %s: other users could read them",
                        len(changed), ", ".join(str(p) for p in self.private_roots))
        return self


def repository_dir() -> Path:
    """The folder holding `desktop/`, `assets/` and `models/` (a checkout or a bundle)."""
    return Path(__file__).resolve().parents[2]


def assets_dir() -> Path:
    """The icon and the sounds Hearth shows and plays: `desktop.assets` in an installed
    wheel (setup.py maps assets/ there), else the checkout's or the bundle's assets/."""
    return _shipped("desktop.assets") or repository_dir() / "assets"


def catalog_path() -> Path:
    """The model catalog: `desktop.catalog` in an installed wheel, else models/."""
    return (_shipped("desktop.catalog") or repository_dir() / "models") / "catalog.toml"


def _shipped(package: str) -> Path | None:
    """Where a data package of the wheel is (they have no __init__.py: find the spec)."""
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None
