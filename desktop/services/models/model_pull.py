"""Install a catalog model: every file downloaded and verified before any is installed.

A vision model is two files (the model and its mmproj) and a Whisper model a folder of
several; all of them go to a staging folder first (`models/.downloads/<name>/`), are
verified (size, sha256, GGUF header, and the pair's fit), and only then move into the
models folder and the manifest. Cancelling removes the staging folder; a failure keeps
it, so pulling again resumes where the connection dropped.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from desktop.core.catalog import CatalogEntry, RemoteFile
from desktop.core.errors import ModelFileError
from desktop.core.gguf_info import check_pair, read_gguf_info
from desktop.services.models.downloader import (
    DownloadCancelled,
    DownloadError,
    DownloadProgress,
    FileRequest,
    download_file,
)
from desktop.services.models.model_files import check_free_space, remove
from desktop.services.models.model_store import InstalledModel, ModelStore
from desktop.services.speech.whisper_folder import whisper_folder_problem

__all__ = ["PullProgress", "pull_model"]

PullProgress = Callable[[DownloadProgress], None]


def pull_model(
    entry: CatalogEntry,
    store: ModelStore,
    *,
    endpoint: str | None = None,
    progress: PullProgress = lambda _p: None,
    cancel: threading.Event | None = None,
) -> list[InstalledModel]:
    """Download, verify and install `entry`; return its manifest entries (model first).
    An entry already installed and passing its quick check is not downloaded again."""
    cancel = cancel or threading.Event()
    present = _installed_already(entry, store)
    if present:
        return present
    staging = store.models_dir / ".downloads" / entry.name
    staging.mkdir(parents=True, exist_ok=True)
    check_free_space(staging, entry.download_size, what=entry.title)
    try:
        if entry.kind == "whisper":
            return [_pull_whisper(entry, store, staging, endpoint, progress, cancel)]
        return _pull_llm(entry, store, staging, endpoint, progress, cancel)
    except DownloadCancelled:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if staging.exists() and not any(staging.iterdir()):
            staging.rmdir()


def _pull_llm(entry: CatalogEntry, store: ModelStore, staging: Path, endpoint: str | None,
              progress: PullProgress, cancel: threading.Event) -> list[InstalledModel]:
    shards = [download_file(_request(remote), models_dir=staging, endpoint=endpoint, progress=progress,
                            cancel=cancel) for remote in entry.files]
    model = shards[0]  # a split GGUF is loaded by its first shard; llama.cpp finds the rest
    projector = None
    if entry.mmproj is not None:
        projector = download_file(_request(entry.mmproj, install_as=entry.mmproj_local_name),
                                  models_dir=staging, endpoint=endpoint, progress=progress, cancel=cancel)
    _raise_if_cancelled(entry, cancel)
    if projector is not None:
        try:
            check_pair(read_gguf_info(model), read_gguf_info(projector))
        except ModelFileError as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise DownloadError(f"{entry.title} was not installed: {error}") from error
    source = f"hub {entry.repo}"
    installed = []
    for shard in shards[1:]:
        os.replace(shard, store.models_dir / shard.name)
        installed.append(store.describe(shard.name, "shard", source, catalog=entry.name, note=f"part of {model.name}"))
    if projector is not None:
        os.replace(projector, store.models_dir / projector.name)
        installed.append(store.describe(projector.name, "mmproj", source, catalog=entry.name))
    os.replace(model, store.models_dir / model.name)
    installed.insert(0, store.describe(model.name, "chat", source, catalog=entry.name,
                                       mmproj=projector.name if projector else ""))
    for item in installed:
        store.record(item)
    shutil.rmtree(staging, ignore_errors=True)
    return installed


def _pull_whisper(entry: CatalogEntry, store: ModelStore, staging: Path, endpoint: str | None,
                  progress: PullProgress, cancel: threading.Event) -> InstalledModel:
    folder = staging / entry.name
    folder.mkdir(exist_ok=True)
    for remote in entry.files:
        download_file(_request(remote), models_dir=folder, endpoint=endpoint, progress=progress, cancel=cancel)
    _raise_if_cancelled(entry, cancel)
    shutil.rmtree(folder / ".downloads", ignore_errors=True)
    problem = whisper_folder_problem(folder)
    if problem:
        shutil.rmtree(staging, ignore_errors=True)
        raise DownloadError(f"{entry.title} was not installed: {problem}")
    target = store.models_dir / entry.name
    remove(target)
    os.replace(folder, target)
    shutil.rmtree(staging, ignore_errors=True)
    model = store.describe(entry.name, "whisper", f"hub {entry.repo}", catalog=entry.name)
    store.record(model)
    return model


def _installed_already(entry: CatalogEntry, store: ModelStore) -> list[InstalledModel]:
    mine = [m for m in store.installed() if m.catalog == entry.name]
    names = {m.name for m in mine}
    wanted = {entry.local_name} | ({entry.mmproj_local_name} if entry.mmproj else set())
    if not wanted <= names or not all(store.check(m, full=False).ok for m in mine):
        return []
    return sorted(mine, key=lambda m: m.name != entry.local_name)  # the model first


def _raise_if_cancelled(entry: CatalogEntry, cancel: threading.Event) -> None:
    """A cancel that came as the last file finished still installs nothing."""
    if cancel.is_set():
        raise DownloadCancelled(f"Download of {entry.title} cancelled.")


def _request(remote: RemoteFile, *, install_as: str = "") -> FileRequest:
    """Pinned sha256 from the catalog; the size (and, unpinned, the sha256) from the hub."""
    return FileRequest(repo=remote.repo, filename=remote.filename, revision=remote.revision,
                       sha256=remote.sha256 or None, install_as=install_as)
