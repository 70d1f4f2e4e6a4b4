"""Verified model downloads through huggingface_hub.

`hf_hub_download` does the transfer (it resumes with a Range request when the
connection drops mid-file; `HF_ENDPOINT` or an explicit endpoint; its own
`.incomplete` file). Hearth adds what a person needs around
it: a free-disk check before starting, progress (bytes, speed, ETA) and cancel through
a tqdm class, size and sha256 verification and a GGUF header check afterwards, and only
then `os.replace` into the models folder. A failed or cancelled download leaves nothing
under a model's final name.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from tqdm.auto import tqdm

from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import read_gguf_info
from desktop.services.model_store import sha256_of

__all__ = ["DownloadCancelled", "DownloadError", "DownloadProgress", "FileRequest", "download_file"]

_SPARE_BYTES = 64 * 1024 * 1024  # kept free beyond the file itself


class DownloadError(HearthError):
    """The download could not be completed; nothing was installed."""


class DownloadCancelled(DownloadError):
    """The person cancelled; huggingface_hub removes its partial file."""


@dataclass(frozen=True)
class DownloadProgress:
    filename: str
    done: int
    total: int
    bytes_per_s: float
    eta_s: float | None


@dataclass(frozen=True, kw_only=True)
class FileRequest:
    repo: str
    filename: str
    revision: str = "main"
    size: int | None = None  # bytes, when the catalog knows it
    sha256: str | None = None


def download_file(
    request: FileRequest,
    *,
    models_dir: Path,
    endpoint: str | None = None,
    progress: Callable[[DownloadProgress], None] = lambda _p: None,
    cancel: threading.Event | None = None,
) -> Path:
    """Download, verify and install one file into `models_dir`; return its final path."""
    cancel = cancel or threading.Event()
    target = models_dir / Path(request.filename).name
    staging = models_dir / ".downloads" / request.repo.replace("/", "--")
    staging.mkdir(parents=True, exist_ok=True)
    if request.size is not None:
        free = shutil.disk_usage(staging).free
        if free < request.size + _SPARE_BYTES:
            raise DownloadError(
                f"Not enough free disk space for {request.filename}: {request.size // 2**20} MB needed, "
                f"{free // 2**20} MB free in {models_dir}."
            )
    try:
        fetched = Path(hf_hub_download(
            request.repo, request.filename, revision=request.revision, local_dir=staging,
            endpoint=endpoint, tqdm_class=_progress_class(request.filename, progress, cancel),
        ))
    except DownloadCancelled:
        raise
    except Exception as error:  # httpx, huggingface_hub and OS errors alike: one sentence
        raise DownloadError(_reason(request, error)) from error
    try:
        _verify(request, fetched)
    except HearthError:
        fetched.unlink(missing_ok=True)
        raise
    os.replace(fetched, target)
    return target


def _verify(request: FileRequest, path: Path) -> None:
    size = path.stat().st_size
    if request.size is not None and size != request.size:
        raise DownloadError(f"{request.filename} has {size:,} bytes, {request.size:,} expected: not installed.")
    if request.sha256 is not None and sha256_of(path) != request.sha256.lower():
        raise DownloadError(f"{request.filename} failed its sha256 check: not installed.")
    if path.suffix == ".gguf":
        try:
            read_gguf_info(path)
        except ModelFileError as error:
            raise DownloadError(f"{request.filename} is not a usable GGUF file ({error}): not installed.") from error


def _reason(request: FileRequest, error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    http = next((e for e in (error, error.__cause__) if isinstance(e, HfHubHTTPError)), None)
    status = http.response.status_code if http is not None and http.response is not None else None
    if status == 404:
        return f"{request.filename} was not found in {request.repo}."
    if status in (401, 403):
        return f"{request.repo} needs an access token or accepted license on the hub ({status})."
    if isinstance(error, OSError) and getattr(error, "errno", None) == 28:
        return f"The disk filled up while downloading {request.filename}; free some space and try again."
    chain = f"{type(error).__name__} {text} {type(error.__cause__).__name__}".lower()
    if isinstance(error, LocalEntryNotFoundError) or "connect" in chain:
        return f"Could not reach the model server for {request.repo}: check the connection and try again."
    return f"Downloading {request.filename} failed ({text}); trying again resumes it."


def _progress_class(
    filename: str, report: Callable[[DownloadProgress], None], cancel: threading.Event
) -> type[tqdm]:
    class _Progress(tqdm):  # type: ignore[misc]
        """tqdm that reports to Hearth instead of a terminal, and can be cancelled."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["file"] = io.StringIO()
            kwargs["disable"] = False
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel.is_set():
                raise DownloadCancelled(f"Download of {filename} cancelled.")
            shown = super().update(n)
            rate = float(self.format_dict.get("rate") or 0.0)
            total = int(self.total or 0)
            eta = (total - self.n) / rate if rate > 0 and total else None
            report(DownloadProgress(filename, int(self.n), total, rate, eta))
            return shown

    return _Progress
