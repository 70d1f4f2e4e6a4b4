"""Turns the store's checks, the catalog and the machine into the manager window's rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.core.catalog import Catalog, CatalogEntry
from desktop.core.hardware_fit import Hardware, fit_of, recommendations
from desktop.core.hub_listing import HubFiles, HubRepo, hub_entry
from desktop.gui.hub_tab import HubRow
from desktop.gui.model_manager import CatalogRow, InstalledRow, ModelManagerDialog
from desktop.services.models.model_store import ModelCheck

__all__ = ["ManagerView", "catalog_rows", "installed_rows", "machine_text"]


class ManagerView:
    """Draws the manager's tables from the two reports the jobs worker sends separately:
    the installed models (after every job) and this computer (once). The catalog's fit
    marks need both, so it is drawn once the machine is known."""

    def __init__(self, dialog: ModelManagerDialog, catalog: Catalog, *, in_use: Callable[[], set[Path]]) -> None:
        self._dialog, self._catalog, self._in_use = dialog, catalog, in_use
        self._hardware: Hardware | None = None
        self._checks: list[ModelCheck] = []
        self._hub_entries: list[CatalogEntry] = []
        dialog.show_machine("Looking at this computer…")

    def show_machine(self, hardware: Hardware) -> None:
        self._hardware = hardware
        self._dialog.show_machine(machine_text(self._catalog, hardware))
        self._draw_catalog()

    def show_installed(self, checks: list[ModelCheck]) -> None:
        self._checks = checks
        self._dialog.show_installed(installed_rows(checks, self._in_use()))
        self._draw_catalog()

    def show_hub(self, query: str, results: list[tuple[HubRepo, HubFiles]]) -> None:
        """A hub search's results: every model file of every repo, with its projector (the
        repo's first, F16 preferred) and the fit for this machine."""
        self._hub_entries = []
        rows = []
        for repo, listing in results:
            projector = listing.projectors[0] if listing.projectors else None
            for choice in listing.choices:
                entry = hub_entry(listing, choice, projector, license_tag=repo.license)
                self._hub_entries.append(entry)
                rows.append(HubRow(repo.repo_id, choice.quant, choice.label, entry.download_size,
                                   fit_of(entry, self._hardware) if self._hardware else "not known yet",
                                   projector is not None, repo.downloads))
        self._dialog.hub.show_results(query, rows)

    def hub_entry(self, index: int) -> CatalogEntry:
        return self._hub_entries[index]

    def _draw_catalog(self) -> None:
        if self._hardware is not None:
            self._dialog.show_catalog(catalog_rows(self._catalog, self._hardware, self._checks))


def installed_rows(checks: list[ModelCheck], in_use: set[Path]) -> list[InstalledRow]:
    return [
        InstalledRow(name=c.model.name, role=c.model.role, size=c.model.size, location=str(c.path.parent),
                     paired_with=c.model.mmproj, problem=c.problem, is_default=c.path in in_use)
        for c in checks
    ]


def catalog_rows(catalog: Catalog, hardware: Hardware, checks: list[ModelCheck]) -> list[CatalogRow]:
    picks = {e.name for e in recommendations(catalog.entries, hardware)}
    have = {c.model.catalog for c in checks}
    return [
        CatalogRow(name=e.name, title=e.title, capabilities=", ".join(sorted(e.capabilities)),
                   download_size=e.download_size, memory_gb=e.memory_gb, fit=fit_of(e, hardware),
                   recommended=e.name in picks, installed=e.name in have, license=e.license, notes=e.notes)
        for e in catalog.entries
    ]


def machine_text(catalog: Catalog, hardware: Hardware) -> str:
    titles = [e.title for e in recommendations(catalog.entries, hardware)]
    picks = ", ".join(titles[:-1]) + " and " + titles[-1] if len(titles) > 1 else "".join(titles)
    picks = picks or "nothing in the catalog"
    return f"This machine: {hardware.describe()}. Recommended here: {picks}."
