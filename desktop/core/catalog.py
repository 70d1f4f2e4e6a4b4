"""The model catalog: recommended models with their exact hub repo and file names.

`models/catalog.toml` is data, reviewed like code. Each `[[model]]` is either a GGUF
language model (`kind = "llm"`, with an optional `mmproj` for vision) or a CTranslate2
Whisper folder (`kind = "whisper"`, with its `files`). `read_catalog` validates every
entry and names the first problem in one sentence; a catalog that loads is one whose
downloads can be planned, checked for disk space and marked for fit without touching
the network.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from desktop.core.errors import HearthError

__all__ = ["CAPABILITIES", "Catalog", "CatalogEntry", "CatalogError", "RemoteFile", "read_catalog"]

CAPABILITIES = frozenset({"chat", "vision", "audio", "tools", "reasoning", "speech"})
Kind = Literal["llm", "whisper"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SHA256 = re.compile(r"^([0-9a-f]{64})?$")
_REQUIRED = {
    "llm": {"name", "title", "repo", "file", "size", "quant", "license", "context_length",
            "capabilities", "memory_gb"},
    "whisper": {"name", "title", "repo", "files", "size", "quant", "license", "capabilities",
                "memory_gb", "languages"},
}
_OPTIONAL = {"kind", "sha256", "mmproj", "mmproj_size", "mmproj_sha256", "notes", "large_machine",
             "revision", "file_sizes"}


class CatalogError(HearthError):
    """The catalog file is missing, not TOML, or has an entry of the wrong shape."""


@dataclass(frozen=True, kw_only=True)
class RemoteFile:
    """One file in a hub repository. An empty `sha256` means: verify against the digest
    the hub publishes for the file (its LFS sha256) at download time."""

    repo: str
    filename: str
    size: int  # bytes (0: small, not catalogued); the hub's own figure wins at download time
    sha256: str = ""
    revision: str = "main"  # a branch, or a commit to pin the exact files


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    name: str  # what `hearth models pull` takes; also the Whisper folder's name
    title: str
    kind: Kind
    repo: str
    files: tuple[RemoteFile, ...]  # llm: the model file (or its shards, first one first);
    # whisper: every file of the folder
    mmproj: RemoteFile | None
    quant: str
    license: str
    context_length: int | None
    capabilities: frozenset[str]
    memory_gb: float  # RAM (or VRAM) it needs at an 8k context
    languages: str = ""
    large_machine: bool = False
    notes: str = ""

    @property
    def download_size(self) -> int:
        return sum(f.size for f in self.files) + (self.mmproj.size if self.mmproj else 0)

    @property
    def model_file(self) -> RemoteFile:
        return self.files[0]

    @property
    def mmproj_local_name(self) -> str:
        """Projectors are often all called `mmproj-model-f16.gguf`: keep them apart."""
        return f"{self.name}-{self.mmproj.filename}" if self.mmproj else ""

    @property
    def local_name(self) -> str:
        """The file or folder it becomes in the models folder."""
        return self.name if self.kind == "whisper" else Path(self.model_file.filename).name


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]

    def get(self, name: str) -> CatalogEntry:
        for entry in self.entries:
            if entry.name == name.lower():
                return entry
        known = ", ".join(e.name for e in self.entries)
        raise CatalogError(f"No model called {name!r} in the catalog; known: {known}.")


def read_catalog(path: Path) -> Catalog:
    """Load and validate `path`; raise `CatalogError` naming the first bad entry."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CatalogError(f"The model catalog {path} is missing.") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CatalogError(f"The model catalog {path.name} is not valid TOML: {error}.") from error
    models = raw.get("model")
    if not isinstance(models, list) or not models:
        raise CatalogError(f"The model catalog {path.name} has no [[model]] entries.")
    entries = tuple(_entry(item, index) for index, item in enumerate(models, 1))
    names = [e.name for e in entries]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise CatalogError(f"The model catalog names {duplicate!r} twice.")
    return Catalog(entries)


def _entry(item: Any, index: int) -> CatalogEntry:
    where = f"catalog entry {index}"
    if not isinstance(item, dict):
        raise CatalogError(f"{where} is not a table.")
    where = f"catalog entry {index} ({item.get('name', '?')})"
    kind = item.get("kind", "llm")
    if kind not in _REQUIRED:
        raise CatalogError(f"{where}: kind must be 'llm' or 'whisper', not {kind!r}.")
    missing = sorted(_REQUIRED[kind] - item.keys())
    if missing:
        raise CatalogError(f"{where} lacks {', '.join(missing)}.")
    unknown = sorted(item.keys() - _REQUIRED[kind] - _OPTIONAL)
    if unknown:
        raise CatalogError(f"{where} has unknown fields: {', '.join(unknown)}.")
    name, repo = item["name"], item["repo"]
    _check(isinstance(name, str) and _NAME.match(name), where, "name must be lowercase letters, digits, . _ -")
    _check(isinstance(repo, str) and _REPO.match(repo), where, "repo must be 'owner/name'")
    capabilities = item["capabilities"]
    _check(isinstance(capabilities, list) and set(capabilities) <= CAPABILITIES and capabilities,
           where, f"capabilities must be a list drawn from {sorted(CAPABILITIES)}")
    memory = item["memory_gb"]
    _check(isinstance(memory, (int, float)) and memory > 0, where, "memory_gb must be a positive number")
    context = item.get("context_length")
    _check(context is None or (isinstance(context, int) and context > 0), where,
           "context_length must be a positive integer")
    revision = item.get("revision", "main")
    _check(isinstance(revision, str) and revision, where, "revision must be a branch or commit")
    if kind == "llm":
        # A split GGUF lists its shards in order: `file`, `size` and `sha256` become lists.
        names, sizes = _listed(item["file"]), _listed(item["size"])
        digests = _listed(item.get("sha256", [""] * len(names)))
        _check(len(names) == len(sizes) == len(digests), where, "file, size and sha256 lists differ in length")
        files = tuple(_file(repo, n, z, d, revision, where) for n, z, d in zip(names, sizes, digests, strict=True))
        _check(all(f.filename.endswith(".gguf") and f.size > 0 for f in files), where,
               "file must be a .gguf with its size in bytes")
        mmproj = None
        if "mmproj" in item:
            mmproj = _file(repo, item["mmproj"], item.get("mmproj_size"), item.get("mmproj_sha256", ""),
                           revision, where)
            _check(mmproj.size > 0, where, "mmproj_size must be its size in bytes")
        _check(("vision" in capabilities) == (mmproj is not None), where,
               "a vision model needs an mmproj, and only a vision model has one")
    else:
        names = item["files"]
        _check(isinstance(names, list) and "model.bin" in names and "config.json" in names, where,
               "a Whisper entry's files must include model.bin and config.json")
        total = item["size"]
        _check(isinstance(total, int) and total > 0, where, "size must be a positive number of bytes")
        sizes = item.get("file_sizes") or [total if n == "model.bin" else 0 for n in names]
        _check(isinstance(sizes, list) and len(sizes) == len(names) and sum(sizes) == total, where,
               "file_sizes must give one size per file, adding up to size")
        # `sha256` is model.bin's: the small JSON files are plain git files on the hub.
        files = tuple(_file(repo, n, z, item.get("sha256", "") if n == "model.bin" else "", revision, where)
                      for n, z in zip(names, sizes, strict=True))
        mmproj = None
    return CatalogEntry(
        name=name, title=str(item["title"]), kind=kind, repo=repo, files=files, mmproj=mmproj,
        quant=str(item["quant"]), license=str(item["license"]), context_length=context,
        capabilities=frozenset(capabilities), memory_gb=float(memory),
        languages=str(item.get("languages", "")), large_machine=bool(item.get("large_machine", False)),
        notes=str(item.get("notes", "")),
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _file(repo: str, filename: Any, size: Any, sha256: Any, revision: str, where: str) -> RemoteFile:
    _check(isinstance(filename, str) and filename and not filename.startswith("/") and ".." not in filename,
           where, f"file name {filename!r} is not a plain path in the repo")
    _check(isinstance(size, int) and size >= 0, where, f"{filename} needs its size in bytes")
    _check(isinstance(sha256, str) and _SHA256.match(sha256), where, f"{filename}: sha256 must be 64 hex digits or ''")
    return RemoteFile(repo=repo, filename=filename, size=size, sha256=sha256, revision=revision)


def _check(condition: object, where: str, problem: str) -> None:
    if not condition:
        raise CatalogError(f"{where}: {problem}.")
