"""Turns the store's checks, the catalog and the machine into the manager window's rows."""

from __future__ import annotations

from pathlib import Path

from desktop.core.catalog import Catalog
from desktop.core.hardware_fit import Hardware, fit_of, recommend
from desktop.gui.model_manager import CatalogRow, InstalledRow
from desktop.services.model_store import ModelCheck

__all__ = ["catalog_rows", "installed_rows", "machine_text"]


def installed_rows(checks: list[ModelCheck], in_use: set[Path]) -> list[InstalledRow]:
    return [
        InstalledRow(name=c.model.name, role=c.model.role, size=c.model.size, location=str(c.path.parent),
                     paired_with=c.model.mmproj, problem=c.problem, is_default=c.path in in_use)
        for c in checks
    ]


def catalog_rows(catalog: Catalog, hardware: Hardware, checks: list[ModelCheck]) -> list[CatalogRow]:
    picks = {e.name for cap in ("vision", "speech") if (e := recommend(catalog.entries, hardware, capability=cap))}
    have = {c.model.catalog for c in checks}
    return [
        CatalogRow(name=e.name, title=e.title, capabilities=", ".join(sorted(e.capabilities)),
                   download_size=e.download_size, memory_gb=e.memory_gb, fit=fit_of(e, hardware),
                   recommended=e.name in picks, installed=e.name in have, license=e.license, notes=e.notes)
        for e in catalog.entries
    ]


def machine_text(catalog: Catalog, hardware: Hardware) -> str:
    vision = recommend(catalog.entries, hardware, capability="vision")
    speech = recommend(catalog.entries, hardware, capability="speech")
    picks = " and ".join(e.title for e in (vision, speech) if e) or "nothing in the catalog"
    return f"This machine: {hardware.describe()}. Recommended here: {picks}."
