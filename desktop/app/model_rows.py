"""Turns the store's checks, the catalog and the machine into the manager window's rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.core.catalog import Catalog, CatalogEntry
from desktop.core.hardware_fit import Hardware, fit_of, recommendations
from desktop.core.hub_listing import HubFiles, HubRepo, hub_entry, recommended, smallest_first
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
        self._hub_query = ""
        self._hub_results: list[tuple[HubRepo, HubFiles]] | None = None  # None: no results to show
        self._hub_entries: list[CatalogEntry] = []
        dialog.show_machine("Looking at this computer…")

    def show_machine(self, hardware: Hardware) -> None:
        self._hardware = hardware
        self._dialog.show_machine(machine_text(self._catalog, hardware))
        self._draw_catalog()
        self._draw_hub()

    def show_installed(self, checks: list[ModelCheck]) -> None:
        self._checks = checks
        self._dialog.show_installed(installed_rows(checks, self._in_use()))
        self._draw_catalog()
        self._draw_hub()  # a file just installed is marked so, and cannot be downloaded again

    def search_hub(self, query: str) -> None:
        """A new search: the old results are gone until the new ones come."""
        self._hub_query, self._hub_results, self._hub_entries = query, None, []
        self._dialog.hub.show_searching(query)

    def show_hub(self, query: str, results: list[tuple[HubRepo, HubFiles]]) -> None:
        self._hub_query, self._hub_results = query, results
        self._draw_hub()

    def hub_failed(self, message: str) -> None:
        self._hub_results, self._hub_entries = None, []
        self._dialog.hub.show_failed(message)

    def hub_entry(self, index: int) -> CatalogEntry:
        return self._hub_entries[index]

    def _draw_hub(self) -> None:
        """Every model file of every repo (smallest first, Hearth's pick starred), with its
        projector (the repo's first, F16 preferred), the fit for this machine and whether
        it is installed."""
        if self._hub_results is None:
            return
        have = {c.model.name for c in self._checks}
        self._hub_entries, rows = [], []
        for repo, listing in self._hub_results:
            projector = listing.projectors[0] if listing.projectors else None
            entries = {c: hub_entry(listing, c, projector, license_tag=repo.license) for c in listing.choices}
            fit = {c: fit_of(e, self._hardware) if self._hardware else "not known yet" for c, e in entries.items()}
            pick = recommended(listing.choices, {c for c, f in fit.items() if f == "fits"}.__contains__)
            for choice in smallest_first(listing.choices):
                entry = entries[choice]
                self._hub_entries.append(entry)
                rows.append(HubRow(repo.repo_id, choice.quant, choice.label, entry.download_size, fit[choice],
                                   projector.path.rsplit("/", 1)[-1] if projector else "", repo.downloads,
                                   recommended=choice == pick, installed=entry.local_name in have))
        without = sum(1 for _repo, listing in self._hub_results if not listing.choices)
        self._dialog.hub.show_results(self._hub_query, rows, without_gguf=without)

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
