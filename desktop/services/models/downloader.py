"""Verified, resumable model downloads through huggingface_hub.

huggingface_hub finds the file (`hf_hub_url` with `HF_ENDPOINT` or an explicit
endpoint; `get_hf_file_metadata` for its size, sha256 and final location) and moves
the bytes (`http_get`, which retries a dropped connection with a Range request).
`hf_hub_download` itself is not used: since huggingface_hub 2 it deletes a partial file
when a download fails, and a person whose 16 GB download broke at 90 % wants it to
go on from there. So the bytes go to `models/.downloads/<name>.part` (with the hub's
etag beside it), which the next attempt resumes if the file on the hub is unchanged.

Around that, what a person needs: a free-disk check first, progress (bytes, speed,
ETA) and cancel through a tqdm class, size, sha256 and GGUF header checks after, and
only then `os.replace` into place. Cancelling, a failed check or a full disk removes
the part; nothing ever appears under a model's final name unverified.
"""

from __future__ import annotations

import errno
import io
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from huggingface_hub import HfFileMetadata, get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import build_hf_headers
from tqdm.auto import tqdm

from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import read_gguf_info
from desktop.services.models.model_files import SPARE_BYTES, Cancelled, check_free_space, sha256_of

__all__ = ["SPARE_BYTES", "DownloadCancelled", "DownloadError", "DownloadProgress", "FileRequest", "download_file"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DownloadError(HearthError):
    """The download could not be completed; nothing was installed."""


class DownloadCancelled(DownloadError, Cancelled):
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
    size: int | None = None  # exact bytes; None: the size the hub publishes
    sha256: str | None = None  # pinned digest; None: the sha256 the hub publishes (LFS files)
    install_as: str = ""  # the name in the models folder; "" keeps the file's own name


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
    target = models_dir / (request.install_as or Path(request.filename).name)
    staging = models_dir / ".downloads"
    staging.mkdir(parents=True, exist_ok=True)
    part = staging / (target.name + ".part")
    url = hf_hub_url(request.repo, request.filename, revision=request.revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url)
    except Exception as error:  # the same errors as the download itself
        raise DownloadError(_reason(request, error)) from error
    request = _with_hub_facts(request, meta)
    resume = _resumable_bytes(part, meta.etag)
    if request.size is not None:
        check_free_space(staging, request.size - resume, what=request.filename)
    try:
        with part.open("ab") as handle:
            http_get(meta.location, handle, resume_size=resume, headers=build_hf_headers(),
                     expected_size=request.size, displayed_filename=request.filename,
                     tqdm_class=_progress_class(request.filename, progress, cancel))
    except DownloadCancelled:
        _discard(part)
        raise
    except OSError as error:
        if error.errno == errno.ENOSPC:
            _discard(part)  # give the space back; a full disk is not worth resuming into
        raise DownloadError(_reason(request, error)) from error
    except Exception as error:  # httpx and huggingface_hub errors: one sentence; keep the part
        raise DownloadError(_reason(request, error)) from error
    try:
        _verify(request, part)
    except HearthError:
        _discard(part)
        raise
    os.replace(part, target)
    part.with_suffix(".etag").unlink(missing_ok=True)
    return target


def _resumable_bytes(part: Path, etag: str | None) -> int:
    """Bytes of an earlier attempt worth keeping: only if the file on the hub is the same
    one (its etag, kept beside the part) and the part is not empty."""
    marker = part.with_suffix(".etag")
    if part.exists() and marker.exists() and marker.read_text() == (etag or ""):
        return part.stat().st_size
    part.unlink(missing_ok=True)
    marker.write_text(etag or "")
    return 0


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_suffix(".etag").unlink(missing_ok=True)


def _with_hub_facts(request: FileRequest, meta: HfFileMetadata) -> FileRequest:
    """Fill in the size and sha256 the hub publishes for the file, where the request
    does not pin them."""
    published = (meta.etag or "").strip('"').lower()
    return replace(
        request,
        size=request.size if request.size is not None else meta.size,
        sha256=request.sha256 or (published if _SHA256.match(published) else None),
    )


def _verify(request: FileRequest, path: Path) -> None:
    size = path.stat().st_size
    if request.size is not None and size != request.size:
        raise DownloadError(f"{request.filename} has {size:,} bytes, {request.size:,} expected: not installed.")
    if request.sha256 is not None and sha256_of(path) != request.sha256.lower():
        raise DownloadError(f"{request.filename} failed its sha256 check: not installed.")
    if request.filename.endswith(".gguf"):
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
    if status is not None and status >= 500:
        return (f"The model server for {request.repo} is not answering ({status}); try again later: "
                f"the download goes on where it stopped.")
    if status in (401, 403):
        return f"{request.repo} needs an access token or accepted license on the hub ({status})."
    if isinstance(error, OSError) and getattr(error, "errno", None) == 28:
        return f"The disk filled up while downloading {request.filename}; free some space and try again."
    chain = f"{type(error).__name__} {text} {type(error.__cause__).__name__}".lower()
    if isinstance(error, LocalEntryNotFoundError) or "connect" in chain:
        return f"Could not reach the model server for {request.repo}: check the connection and try again."
    return f"Downloading {request.filename} failed ({text}); try again: the download goes on where it stopped."


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
