"""Fills the header's model picker from the models folder and the settings, and turns a
pick into the same default-model change the model manager makes.

The picker never reads the store itself (gui knows no services); this binding does,
on the GUI thread: `refresh()` reads the manifest and, per chat model, at most a few
GGUF headers (to find its projector), which takes milliseconds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject

from desktop.core.catalog import Catalog, CatalogError, read_catalog
from desktop.core.model_names import ModelChoice, model_choices
from desktop.core.settings import Settings
from desktop.gui.model_picker import ModelPicker
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import TEST_PROJECTOR

__all__ = ["ModelPickerBinding", "PickerHost", "load_catalog", "picker_state"]

log = logging.getLogger(__name__)


class PickerHost(Protocol):
    """What the binding needs of the app (`HearthApp` has all of it)."""

    @property
    def settings(self) -> Settings: ...

    def set_default_model(self, role: str, name: str) -> None: ...

    def apply_settings(self, settings: Settings) -> None: ...

    def open_models(self) -> object: ...


def load_catalog(path: Path) -> Catalog:
    """The catalog, or an empty one when it cannot be read: names then come from file
    names, and the picker still works."""
    try:
        return read_catalog(path)
    except CatalogError as error:
        log.warning("model names without the catalog: %s", error)
        return Catalog(())


def picker_state(
    store: ModelStore, catalog: Catalog, settings: Settings
) -> tuple[list[ModelChoice], str | None, str | None]:
    """The picker's choices and the current chat and Whisper paths, as the app resolves
    them (`ModelStore.chosen`, the rule the engine itself follows)."""
    chat = store.chosen("chat", settings.model_path)
    whisper = store.chosen("whisper", settings.whisper_path)
    installed = store.installed()
    candidates = [store.path_of(m) for m in installed if m.role == "chat"]
    if chat is not None and chat not in candidates:
        candidates.append(chat)
    with_vision = {str(p) for p in candidates if _has_vision(store, p, settings.mmproj_path if p == chat else None)}
    choices = model_choices(
        installed, models_dir=store.models_dir, catalog=catalog, with_vision=with_vision,
        chat=str(chat) if chat else None, whisper=str(whisper) if whisper else None,
    )
    return choices, str(chat) if chat else None, str(whisper) if whisper else None


def _has_vision(store: ModelStore, model: Path, configured: str | None) -> bool:
    """A real projector loads with it. The starter's random-weight test projector does
    not count: its answers about images mean nothing, so no "Understands images"."""
    projector = store.projector_for(model, configured)
    return projector is not None and projector.name != TEST_PROJECTOR


class ModelPickerBinding(QObject):
    """Keeps a `ModelPicker` in step with the app, and sends its picks to the app.

    A child of the picker, so it lives as long as the picker does (Qt holds slots
    weakly). Call `refresh()` whenever the installed models or the settings change.
    """

    def __init__(self, picker: ModelPicker, host: PickerHost, *, store: ModelStore, catalog: Catalog) -> None:
        super().__init__(picker)
        self._picker, self._host, self._store, self._catalog = picker, host, store, catalog
        picker.modelChosen.connect(self._chosen)
        picker.manageRequested.connect(host.open_models)
        self.refresh()

    def refresh(self, *_reports: object) -> None:
        """Redraws the picker; takes (and ignores) `ModelJobs.installedChanged`'s list."""
        settings = self._host.settings
        choices, chat, whisper = picker_state(self._store, self._catalog, settings)
        self._picker.set_choices(choices, chat=chat, whisper=whisper)
        self._picker.set_remote((settings.remote_model or settings.remote_url) if settings.remote_url else None)

    def _chosen(self, role: str, path: str) -> None:
        if role == "chat" and self._host.settings.remote_url:  # a local model, chosen: no remote engine
            self._host.apply_settings(self._host.settings.updated(remote_url=None))
        file = Path(path)
        if file.parent == self._store.models_dir:
            self._host.set_default_model(role, file.name)  # what the manager's "Use as default" does
        else:
            self._host.apply_settings(self._host.settings.with_default(role, path))
        self.refresh()  # shows what is in force now, also when the change was refused
