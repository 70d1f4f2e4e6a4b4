"""Import model files a person already has: GGUF models, mmproj files, Whisper folders.

Every file is checked before it is copied (its GGUF header with the gguf package's
constants, or a CTranslate2 Whisper folder's layout and model.bin header), so llama.cpp
never opens a truncated, corrupt or unsupported file. Only regular files and real
folders are read: a FIFO would hang the import, a device would never end, and a
symbolic link inside a folder could copy someone's secrets (a link to /etc/shadow) into
the models folder. Copies go to `<name>.part` and are renamed when whole. Projectors
are paired with language models from their headers (`best_projector`); a projector that
pairs with nothing is refused with the reason.
"""

from __future__ import annotations

import hashlib
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import GgufInfo, best_projector, check_pair, read_gguf_info
from desktop.core.safe_files import file_kind, open_regular, printable
from desktop.services.models.model_files import Cancelled, check_free_space, written_whole
from desktop.services.models.model_store import LANGUAGE_ROLES, InstalledModel, ModelStore, Role
from desktop.services.speech.whisper_folder import folder_files, whisper_folder_problem

__all__ = ["ImportReport", "import_models", "whisper_folder_problem"]  # the last re-exported from whisper_folder

_CHUNK = 8 * 1024 * 1024


@dataclass
class ImportReport:
    installed: list[InstalledModel] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (model, projector)
    problems: list[str] = field(default_factory=list)  # one sentence per refused path


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
        if not _pairs_with_any(projector, models + _installed(store, *LANGUAGE_ROLES)):
            target = models[0] if models else None
            reason = _pair_reason(target, projector) if target else "no installed model pairs with it"
            report.problems.append(f"{printable(projector.path.name)} was not imported: {reason}")
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
    try:
        mode = path.stat().st_mode  # a link to a model file is the person's choice; followed
    except FileNotFoundError:
        raise ModelFileError(f"{printable(path)} does not exist.") from None
    except OSError as error:
        raise ModelFileError(f"{printable(path)} cannot be read ({error.strerror}).") from error
    if stat.S_ISDIR(mode):
        problem = whisper_folder_problem(path)  # refuses a link to a folder, and links inside
        if problem:
            raise ModelFileError(problem)
        return path, "whisper", None
    if not stat.S_ISREG(mode):  # a FIFO would block the import for ever, /dev/zero never ends
        raise ModelFileError(f"{printable(path.name)} is {file_kind(mode)}, not a model file.")
    info = read_gguf_info(path)  # truncated, corrupt, non-GGUF, unsupported: one sentence
    if info.is_projector:
        return path, "mmproj", info
    return path, "chat", info


def _installed(store: ModelStore, *roles: Role) -> list[GgufInfo]:
    infos = []
    for model in store.installed():
        if model.role in roles:
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
        if model.role not in LANGUAGE_ROLES or model.mmproj:
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
    """Copy `source` (a file or a folder) into `folder`; a file's sha256 is taken on the way.
    A folder's files are listed again and opened without following links, so a link or
    FIFO swapped in after the check is refused, never read."""
    target = folder / source.name
    shown = printable(source.name)
    if target.resolve() == source.resolve():
        return None  # already in the models folder: only record it
    is_folder = source.is_dir()
    files = [source / name for name in folder_files(source)] if is_folder else [source]
    total = sum(f.stat().st_size for f in files)
    folder.mkdir(parents=True, exist_ok=True)
    check_free_space(folder, total, what=f"importing {shown}")
    done = 0
    digest = hashlib.sha256()
    with written_whole(target) as part:
        try:
            for file in files:
                out = part / file.relative_to(source) if is_folder else part
                out.parent.mkdir(parents=True, exist_ok=True)
                with open_regular(file, ModelFileError, what="a model file", follow_links=not is_folder) as reader, \
                        out.open("wb") as writer:
                    while block := reader.read(_CHUNK):
                        if cancel.is_set():
                            raise Cancelled(f"Import of {shown} cancelled.")
                        writer.write(block)
                        digest.update(block)
                        done += len(block)
                        progress(source.name, done, total)
        except OSError as error:
            raise ModelFileError(f"Could not copy {shown} into the models folder: {error.strerror}.") from error
    return None if is_folder else digest.hexdigest()


