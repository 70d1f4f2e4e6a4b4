"""A person's first start (desktop/app/first_run.py): the starter models are installed
behind a dialog, from the packages Hearth carries, before the window opens."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialogButtonBox

from desktop.app import first_run
from desktop.app.first_run import NO_MODEL_MESSAGE, needs_setup, run_setup
from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings, load_settings
from desktop.gui.setup_dialog import SetupDialog
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import CHAT_MODEL, TEST_PROJECTOR, WHISPER_MODEL


class RecordingDialog(SetupDialog):
    """The real dialog, remembering each step it showed; optionally presses a button
    (as a person would) once the first step or a failure is on screen."""

    def __init__(self, *, press_on_first_step: QDialogButtonBox.StandardButton | None = None,
                 press_on_failure: QDialogButtonBox.StandardButton | None = None) -> None:
        super().__init__()
        self.steps: list[str] = []
        self._press_on_first_step = press_on_first_step
        self._press_on_failure = press_on_failure

    def show_step(self, text: str) -> None:
        super().show_step(text)
        self.steps.append(text)
        if self._press_on_first_step is not None and len(self.steps) == 1:
            self._press(self._press_on_first_step)

    def show_failure(self, text: str) -> None:
        super().show_failure(text)
        if self._press_on_failure is not None:
            self._press(self._press_on_failure)

    def _press(self, which: QDialogButtonBox.StandardButton) -> None:
        button = self.buttons.button(which)
        QTimer.singleShot(0, lambda: button.click())


def test_first_start_installs_the_starter_models_offline(qtbot):
    paths = HearthPaths.from_environment().ensure()
    assert needs_setup(paths, Settings())
    dialog = RecordingDialog()
    qtbot.addWidget(dialog)
    assert run_setup(paths, dialog) is None
    assert not needs_setup(paths, Settings())
    installed = {m.name: m for m in ModelStore(paths.models_dir).installed()}
    assert {CHAT_MODEL, WHISPER_MODEL, TEST_PROJECTOR} <= installed.keys()
    assert all(ModelStore(paths.models_dir).check(m, full=False).ok for m in installed.values())
    assert dialog.steps[0] == "Setting up the starter models…"
    assert f"installing {CHAT_MODEL}" in dialog.steps
    assert not list(paths.models_dir.glob("*.part"))


def test_cancel_keeps_nothing_half_made_and_setup_runs_again(qtbot):
    paths = HearthPaths.from_environment().ensure()
    dialog = RecordingDialog(press_on_first_step=QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(dialog)
    problem = run_setup(paths, dialog)
    assert problem is not None and "cancelled" in problem
    assert needs_setup(paths, Settings())  # the chat model was not half-installed
    assert not list(paths.models_dir.glob("*.part"))


def test_a_full_disk_is_one_sentence_and_close(qtbot, small_disk, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(small_disk / "home"))
    paths = HearthPaths.from_environment().ensure()
    dialog = RecordingDialog(press_on_failure=QDialogButtonBox.StandardButton.Close)
    qtbot.addWidget(dialog)
    problem = run_setup(paths, dialog)
    assert problem is not None and problem.startswith("Not enough free disk space") and "\n" not in problem
    assert dialog.step.text() == problem
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Close) is not None
    assert not list(paths.models_dir.glob("*.part"))


def test_without_starter_packages_it_says_how_to_get_a_model(qtbot, monkeypatch):
    # A pip install without the `starter` extra: the packages are absent (simulated,
    # because this test environment has them installed).
    monkeypatch.setattr(first_run, "starter_packages_present", lambda: False)
    paths = HearthPaths.from_environment().ensure()
    assert run_setup(paths, RecordingDialog()) == NO_MODEL_MESSAGE
    assert "hearth models pull" in NO_MODEL_MESSAGE


def test_a_remote_engine_or_an_installed_model_needs_no_setup(cli_home):
    paths = HearthPaths.from_environment().ensure()
    assert not needs_setup(paths, load_settings(paths.settings_file))  # the starter models, chosen in settings
    empty = HearthPaths.from_environment({"HEARTH_HOME": str(cli_home / "empty")}).ensure()
    assert needs_setup(empty, Settings())
    assert not needs_setup(empty, Settings(remote_url="http://127.0.0.1:9/v1"))


def test_the_dialog_says_nothing_is_downloaded(qtbot):
    dialog = SetupDialog()
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.step)))
    assert "Nothing is downloaded" in texts
