"""`hearth doctor`: everything that must be right for Hearth to work, one line each.

Exits 1 when any problem is found, with one clear line per problem.
"""

from __future__ import annotations

import argparse
import platform
import sys
from importlib import metadata

from desktop.cli.context import CliContext
from desktop.core.private_files import exposed
from desktop.core.safe_files import printable

__all__ = ["register"]

_PACKAGES = ("llama-cpp-python", "faster-whisper", "ctranslate2", "PySide6-Essentials", "gguf",
             "huggingface-hub", "pillow", "sounddevice", "numpy")

# A packaged Hearth (PyInstaller sets sys.frozen) is repaired by installing it again.
_REINSTALL = "reinstall Hearth" if getattr(sys, "frozen", False) else "run `make setup`"


def register(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser("doctor", help="check versions, backend, models, audio and paths")
    doctor.set_defaults(run=run_doctor)


def run_doctor(_args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    problems: list[str] = []
    warnings: list[str] = []

    print(f"python       {platform.python_version()} on {platform.system()} {platform.machine()}")
    for package in _PACKAGES:
        try:
            print(f"{package:<12} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            problems.append(f"{package} is not installed ({_REINSTALL}).")

    try:
        from desktop.services.engines.llama_runtime import backend_info
        from desktop.services.models.hardware import detect_hardware

        backend = backend_info()
        print(f"backend      {backend.name} (GPU offload supported: {'yes' if backend.gpu_offload else 'no'})")
        print(f"cpu kernels  {backend.cpu_kernels}")
        print(f"llama.cpp    {backend.system_info}")
        print(f"hardware     {detect_hardware().describe()}")
    except Exception as error:  # a broken native build is exactly what doctor is for
        problems.append(f"llama.cpp cannot be loaded: {error}")

    print(f"config       {printable(ctx.paths.config_dir)}")
    print(f"data         {printable(ctx.paths.data_dir)}")
    print(f"models       {printable(ctx.paths.models_dir)}")
    readable = exposed(ctx.paths.private_roots)
    if readable:
        problems.append(f"{len(readable)} file(s) or folder(s) of Hearth's can be read by other users, e.g. "
                        f"{readable[0]}: run `chmod -R go-rwx` on it (Hearth could not: another owner?).")
    else:
        print("privacy      settings, history, models and caches are owner-only (folders 0700, files 0600)")
    installed = ctx.store.installed()
    if not installed:
        problems.append("No models are installed: run `hearth models install-starter`.")
    for model in installed:
        check = ctx.store.check(model, full=True)
        detail = "sha256 ok" if check.ok else check.problem
        print(f"model        {model.role:<9} {printable(model.name)}: {printable(detail)}")
        if detail != "sha256 ok":
            problems.append(f"{model.name}: {detail}")
    for role in ("chat", "whisper"):
        if installed and ctx.store.find(role) is None:
            problems.append(f"No {role} model is installed: run `hearth models install-starter`.")

    try:
        import sounddevice

        inputs = [d for d in sounddevice.query_devices() if d["max_input_channels"] > 0]
        for device in inputs:
            print(f"microphone   {device['name']} ({int(device['default_samplerate'])} Hz)")
        if not inputs:
            warnings.append("No microphone found: push-to-talk will not work (typing still does).")
    except (OSError, ImportError) as error:
        warnings.append(f"Audio input is unavailable ({error}): push-to-talk will not work.")

    for line in warnings:
        print(f"warning: {printable(line)}")
    for line in problems:
        print(f"problem: {printable(line)}", file=sys.stderr)
    print("all checks passed" if not problems else f"{len(problems)} problem(s) found")
    return 1 if problems else 0
