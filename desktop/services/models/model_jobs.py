"""Model manager work off the GUI thread: pulls, imports, checks and removals.

One worker thread runs the jobs in order (two downloads at once would only share the
bandwidth); `cancel()` stops the job in flight (a download leaves nothing installed),
`shutdown()` cancels and joins. The jobs make their own `ModelStore` and touch it only
from the worker thread: it is the one writer of the manifest. Others read it with their
own store (a write replaces the file whole, so a reader never sees half of one).

Signals:
    progress(str, int, int, float, float): file name, bytes done, bytes total,
        bytes per second, seconds left (-1 when unknown).
    started(str): a job began; its description.
    status(str): a step of the job in flight (the starter models, one per file).
    finished(str): a job ended well; one sentence saying what changed.
    failed(str): a job ended badly or was cancelled; one sentence.
    installedChanged(list): the installed models (`ModelCheck`s, quick checks) after
        any job, and after `refresh()` (call it once the signals are connected).
    machineDetected(object): this computer's `Hardware` (RAM, backend, VRAM), after
        `detect_machine()`; on CUDA that runs nvidia-smi, so not on the GUI thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.core.catalog import CatalogEntry
from desktop.core.errors import HearthError
from desktop.services.models.hardware import detect_hardware
from desktop.services.models.model_files import Cancelled
from desktop.services.models.model_import import import_models
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import install_starter_models

if TYPE_CHECKING:
    from desktop.services.models.downloader import DownloadProgress

__all__ = ["ModelJobs"]

log = logging.getLogger(__name__)


class ModelJobs(QObject):
    progress = Signal(str, object, object, float, float)  # object: byte counts pass 2**31
    started = Signal(str)
    status = Signal(str)
    finished = Signal(str)
    failed = Signal(str)
    installedChanged = Signal(list)
    machineDetected = Signal(object)

    def __init__(self, models_dir: Path, *, endpoint: str | None = None) -> None:
        super().__init__()
        self._store = ModelStore(models_dir)
        self._endpoint = endpoint
        self._jobs: queue.Queue[tuple[str, Callable[[threading.Event], str]] | None] = queue.Queue()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hearth-model-jobs", daemon=True)
        self._thread.start()

    # -- requests (any thread) -----------------------------------------------------------

    def refresh(self) -> None:
        """Report the installed models (a job that changes nothing)."""
        self._jobs.put(("", lambda _cancel: ""))

    def detect_machine(self) -> None:
        """Report this computer's hardware (for the catalog's fit marks)."""
        def job(_cancel: threading.Event) -> str:
            self.machineDetected.emit(detect_hardware())
            return ""

        self._jobs.put(("", job))

    def pull(self, entry: CatalogEntry) -> None:
        def job(cancel: threading.Event) -> str:
            from desktop.services.models.model_pull import pull_model  # huggingface_hub: only for a download

            installed = pull_model(entry, self._store, endpoint=self._endpoint, progress=self._report,
                                   cancel=cancel)
            return f"{entry.title} is installed ({', '.join(m.name for m in installed)})."

        self._jobs.put((f"Downloading {entry.title}…", job))

    def import_paths(self, paths: list[Path]) -> None:
        def job(cancel: threading.Event) -> str:
            from desktop.services.models.downloader import DownloadProgress

            report = import_models(paths, self._store, cancel=cancel,
                                   progress=lambda name, done, total: self._report(
                                       DownloadProgress(name, done, total, 0.0, None)))
            if report.problems:
                raise _Partly(" ".join(report.problems))
            pairs = "; ".join(f"{m} paired with {p}" for m, p in report.pairs)
            return f"Imported {', '.join(m.name for m in report.installed)}." + (f" {pairs}." if pairs else "")

        self._jobs.put((f"Importing {', '.join(p.name for p in paths)}…", job))

    def install_starter(self) -> None:
        """The starter chat and speech models, from the packages Hearth carries (no network)."""
        def job(cancel: threading.Event) -> str:
            installed = install_starter_models(self._store, progress=self.status.emit, cancel=cancel)
            return f"Installed {', '.join(m.name for m in installed)}."

        self._jobs.put(("Setting up the starter models…", job))

    def remove(self, name: str) -> None:
        def job(_cancel: threading.Event) -> str:
            entry = self._store.remove(name)
            return f"Removed {entry.name}."

        self._jobs.put((f"Removing {name}…", job))

    def verify(self) -> None:
        def job(cancel: threading.Event) -> str:
            bad = []
            for model in self._store.installed():
                if cancel.is_set():
                    raise Cancelled("Check cancelled.")
                check = self._store.check(model, full=True, cancel=cancel)  # Cancel stops a long hash too
                if not check.ok:
                    bad.append(check.problem)
            if bad:
                raise _Partly(" ".join(bad))
            return "Every installed model passed its sha256 and header checks."

        self._jobs.put(("Checking every model's sha256…", job))

    def cancel(self) -> None:
        """Stop the job in flight (queued ones still run)."""
        self._cancel.set()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel the job in flight, drop the queued ones, join the thread. Idempotent."""
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._cancel.set()
        self._jobs.put(None)
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- worker thread -------------------------------------------------------------------

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            description, job = item
            self._cancel.clear()
            if description:
                self.started.emit(description)
            try:
                message = job(self._cancel)
                if message:
                    self.finished.emit(message)
            except HearthError as error:
                self.failed.emit(str(error))
            except Exception as error:  # a bug: logged in full, one line for the person
                log.exception("model job failed")
                self.failed.emit(f"Something went wrong ({error}); nothing was changed.")
            self.installedChanged.emit([self._store.check(m, full=False) for m in self._store.installed()])

    def _report(self, progress: DownloadProgress) -> None:
        eta = progress.eta_s if progress.eta_s is not None else -1.0
        self.progress.emit(progress.filename, progress.done, progress.total, progress.bytes_per_s, eta)


class _Partly(HearthError):
    """A job that did some of its work; the message says what was refused and why."""
