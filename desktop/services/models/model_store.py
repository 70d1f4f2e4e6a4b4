"""The installed-models folder and its manifest (`installed.json`).

The manifest records, for every installed file, its role, size, sha256 and mtime, so
a quick check (size + mtime) is instant and a full check (sha256) can prove a file
is still the one that was verified at install time.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from desktop.core.errors import ModelFileError
from desktop.core.gguf_info import best_projector, read_gguf_info
from desktop.core.model_roles import LANGUAGE_ROLES, Role
from desktop.services.models.model_files import remove, sha256_of, written_whole

__all__ = ["LANGUAGE_ROLES", "InstalledModel", "ModelCheck", "ModelStore", "Role"]



def _size_and_mtime(path: Path) -> tuple[int, int]:
    if path.is_dir():
        stats = [p.stat() for p in path.rglob("*") if p.is_file()]
        return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


@dataclass(frozen=True)
class InstalledModel:
    name: str  # file or folder name inside the models folder
    role: Role
    size: int
    sha256: str
    mtime_ns: int
    source: str
    note: str = ""
    mmproj: str = ""  # language models: the paired projector's name, if any
    catalog: str = ""  # the catalog entry it came from, if any


@dataclass(frozen=True)
class ModelCheck:
    model: InstalledModel
    path: Path
    ok: bool
    problem: str  # one sentence, empty when ok


class ModelStore:
    """Reads and writes the models folder's manifest. Not thread-safe: one owner per instance;
    the manifest is written whole (`written_whole`), so another thread may read it with a
    store of its own while the model jobs' worker, its one writer in the app, changes it."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self._manifest = models_dir / "installed.json"

    def path_of(self, model: InstalledModel) -> Path:
        return self.models_dir / model.name

    def installed(self) -> list[InstalledModel]:
        if not self._manifest.exists():
            return []
        raw = json.loads(self._manifest.read_text(encoding="utf-8"))
        known = {f.name for f in fields(InstalledModel)}
        return [InstalledModel(**{k: v for k, v in entry.items() if k in known})
                for entry in raw.get("models", [])]

    def get(self, name: str) -> InstalledModel | None:
        return next((m for m in self.installed() if m.name == name), None)

    def find(self, role: Role) -> InstalledModel | None:
        return next((m for m in self.installed() if m.role == role), None)

    def chosen(self, role: Role, configured: str | None) -> Path | None:
        """The file the person configured for `role`, else the installed one, else None.
        The one rule the window and the command line both follow."""
        if configured:
            return Path(configured).expanduser()
        model = self.find(role)
        return self.path_of(model) if model else None

    def projector_for(self, model_path: Path, configured: str | None) -> Path | None:
        """The projector to load with `model_path`: the configured one, else the one paired
        with it at install time, else an installed projector whose GGUF header pairs with
        it (width and family), else None (a text-only model)."""
        if configured:
            return Path(configured).expanduser()
        entry = self.get(model_path.name) if model_path.parent == self.models_dir else None
        if entry is not None and entry.mmproj and (self.models_dir / entry.mmproj).exists():
            return self.models_dir / entry.mmproj
        try:
            model = read_gguf_info(model_path)
        except ModelFileError:
            return None  # the engine reports the broken model when it loads
        projectors = []
        for candidate in (m for m in self.installed() if m.role == "mmproj"):
            try:
                projectors.append(read_gguf_info(self.path_of(candidate)))
            except ModelFileError:
                continue
        best = best_projector(model, projectors)
        return best.path if best else None

    def record(self, model: InstalledModel) -> None:
        self._write([m for m in self.installed() if m.name != model.name] + [model])

    def remove(self, name: str) -> InstalledModel:
        """Delete an installed model's file or folder and forget it (and any pairing to it)."""
        entry = self.get(name)
        if entry is None:
            known = ", ".join(m.name for m in self.installed()) or "none"
            raise ModelFileError(f"No installed model called {name!r}; installed: {known}.")
        remove(self.path_of(entry))
        self._write([replace(m, mmproj="") if m.mmproj == name else m
                     for m in self.installed() if m.name != name])
        return entry

    def _write(self, models: list[InstalledModel]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        with written_whole(self._manifest) as part:
            part.write_text(json.dumps({"models": [asdict(m) for m in models]}, indent=2), encoding="utf-8")

    def describe(
        self, name: str, role: Role, source: str, *, note: str = "", sha256: str | None = None,
        mmproj: str = "", catalog: str = "",
    ) -> InstalledModel:
        """A manifest entry for a file already in place and verified by the caller."""
        path = self.models_dir / name
        size, mtime = _size_and_mtime(path)
        return InstalledModel(
            name=name, role=role, size=size, sha256=sha256 or sha256_of(path), mtime_ns=mtime,
            source=source, note=note, mmproj=mmproj, catalog=catalog,
        )

    def check(self, model: InstalledModel, *, full: bool, cancel: threading.Event | None = None) -> ModelCheck:
        """Quick check: present with the recorded size and mtime, and a readable GGUF
        header. Full: sha256 too (`cancel` stops it: `Cancelled`)."""
        path = self.path_of(model)
        if not path.exists():
            return ModelCheck(model, path, False, f"{model.name} is missing from {self.models_dir}.")
        size, mtime = _size_and_mtime(path)
        if size != model.size:
            return ModelCheck(
                model, path, False,
                f"{model.name} has {size:,} bytes, {model.size:,} expected: damaged or replaced.",
            )
        if (full or mtime != model.mtime_ns) and sha256_of(path, cancel=cancel) != model.sha256:
            return ModelCheck(model, path, False, f"{model.name} fails its sha256 check.")
        if path.suffix == ".gguf":
            try:
                read_gguf_info(path)
            except ModelFileError as error:
                return ModelCheck(model, path, False, str(error))
        return ModelCheck(model, path, True, "")
