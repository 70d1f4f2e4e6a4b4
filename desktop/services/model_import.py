"""Import model files a person already has: GGUF models, mmproj files, Whisper folders.

Every file is checked before it is copied (its GGUF header with the gguf package's
constants, or a CTranslate2 Whisper folder's layout), so llama.cpp never opens a
truncated, corrupt or unsupported file. Copies go to `<name>.part` and are renamed
when whole. Projectors are paired with language models from their headers
(`best_projector`); a projector that pairs with nothing is refused with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import GgufInfo, best_projector, check_pair, read_gguf_info
from desktop.core.units import human_size
from desktop.services.model_store import InstalledModel, ModelStore, Role

__all__ = ["ImportReport", "import_models", "whisper_folder_problem"]

_CHUNK = 8 * 1024 * 1024
_SPARE_BYTES = 64 * 1024 * 1024


@dataclass
class ImportReport:
    installed: list[InstalledModel] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (model, projector)
    problems: list[str] = field(default_factory=list)  # one sentence per refused path


def whisper_folder_problem(folder: Path) -> str:
    """Why `folder` is not a CTranslate2 Whisper model, or '' when it is one."""
    if not (folder / "model.bin").is_file():
        return f"{folder.name} is not a Whisper model folder: it has no model.bin (CTranslate2 format)."
    if not (folder / "config.json").is_file():
        return f"{folder.name} is not a Whisper model folder: it has no config.json."
    if not any((folder / n).is_file() for n in ("tokenizer.json", "vocabulary.txt", "vocabulary.json")):
        return f"{folder.name} is not a Whisper model folder: it has no tokenizer or vocabulary."
    return ""


def import_models(
    paths: list[Path],
    store: ModelStore,
    *,
    progress: Callable[[str, int, int], None] = lambda _name, _done, _total: None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Check, copy and record each path; pair projectors with models. Never raises for
    a bad file: its sentence goes to `report.problems` and the others still import."""
    cancel = cancel or threading.Event()
    report = ImportReport()
    checked: list[tuple[Path, Role, GgufInfo | None]] = []
    for path in (Path(p).expanduser() for p in paths):
        try:
            checked.append(_inspect(path))
        except HearthError as error:
            report.problems.append(str(error))
    models = [info for _p, role, info in checked if role == "chat" and info]
    projectors = [info for _p, role, info in checked if role == "mmproj" and info]
    for projector in projectors:
        if not _pairs_with_any(projector, models + _installed(store, "chat")):
            target = models[0] if models else None
            reason = _pair_reason(target, projector) if target else "no installed model pairs with it"
            report.problems.append(f"{projector.path.name} was not imported: {reason}")
            checked = [c for c in checked if c[2] is not projector]
    for path, role, _info in checked:
        if cancel.is_set():
            report.problems.append("Import cancelled.")
            break
        try:
            digest = _copy_into(path, store.models_dir, progress, cancel)
        except HearthError as error:
            report.problems.append(str(error))
            continue
        entry = store.describe(path.name, role, f"imported from {path}", sha256=digest)
        store.record(entry)
        report.installed.append(entry)
    _pair_all(store, report)
    return report


def _inspect(path: Path) -> tuple[Path, Role, GgufInfo | None]:
    if not path.exists():
        raise ModelFileError(f"{path} does not exist.")
    if path.is_dir():
        problem = whisper_folder_problem(path)
        if problem:
            raise ModelFileError(problem)
        return path, "whisper", None
    info = read_gguf_info(path)  # truncated, corrupt, non-GGUF, unsupported: one sentence
    if info.is_projector:
        return path, "mmproj", info
    return path, "chat", info


def _installed(store: ModelStore, role: Role) -> list[GgufInfo]:
    infos = []
    for model in store.installed():
        if model.role == role:
            try:
                infos.append(read_gguf_info(store.path_of(model)))
            except HearthError:
                continue
    return infos


def _pairs_with_any(projector: GgufInfo, models: list[GgufInfo]) -> bool:
    return any(best_projector(model, [projector]) is not None for model in models)


def _pair_reason(model: GgufInfo, projector: GgufInfo) -> str:
    try:
        check_pair(model, projector)
    except ModelFileError as error:
        return str(error)
    return "it pairs"  # not reached: callers ask only for pairs that failed


def _pair_all(store: ModelStore, report: ImportReport) -> None:
    """Give every language model without a projector the best one installed."""
    projectors = _installed(store, "mmproj")
    for model in store.installed():
        if model.role != "chat" or model.mmproj:
            continue
        try:
            info = read_gguf_info(store.path_of(model))
        except HearthError:
            continue
        best = best_projector(info, projectors)
        if best is not None:
            store.record(replace(model, mmproj=best.path.name))
            report.pairs.append((model.name, best.path.name))


def _copy_into(source: Path, folder: Path, progress: Callable[[str, int, int], None],
               cancel: threading.Event) -> str | None:
    """Copy `source` (a file or a folder) into `folder`; a file's sha256 is taken on the way."""
    target = folder / source.name
    if target.resolve() == source.resolve():
        return None  # already in the models folder: only record it
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    total = sum(f.stat().st_size for f in files)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < total + _SPARE_BYTES:
        raise ModelFileError(
            f"Not enough free disk space to import {source.name}: {human_size(total)} needed, "
            f"{human_size(free)} free."
        )
    part = target.with_name(target.name + ".part")
    _remove(part)
    done = 0
    digest = hashlib.sha256()
    try:
        for file in files:
            out = part / file.relative_to(source) if source.is_dir() else part
            out.parent.mkdir(parents=True, exist_ok=True)
            with file.open("rb") as reader, out.open("wb") as writer:
                while block := reader.read(_CHUNK):
                    if cancel.is_set():
                        raise ModelFileError(f"Import of {source.name} cancelled.")
                    writer.write(block)
                    digest.update(block)
                    done += len(block)
                    progress(source.name, done, total)
    except OSError as error:
        _remove(part)
        raise ModelFileError(f"Could not copy {source.name} into the models folder: {error.strerror}.") from error
    except ModelFileError:
        _remove(part)
        raise
    _remove(target)
    os.replace(part, target)
    return None if source.is_dir() else digest.hexdigest()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
