"""llama.cpp's own `llama-bench`, built for this very CPU: the peer `hearth bench` measures
Hearth against.

Hearth's wheel is a portable build (it must run on any machine that later uses the
cached wheel), driven from Python. The honest question is how far that stands from
the best llama.cpp can do here, so the peer is llama-bench compiled with
`-DGGML_NATIVE=ON` from the very llama.cpp that llama-cpp-python vendors (its sdist,
same version), built once per CPU model and kept beside the wheel cache. Building
downloads that sdist (the one network use, and only on `hearth bench --build-native`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from desktop.core.errors import HearthError

__all__ = ["NativeFigures", "build_native_bench", "native_bench_binary", "parse_llama_bench", "run_native_bench"]

_PACKAGE = "llama-cpp-python"
_BUILD_TIMEOUT_S = 3600
_RUN_TIMEOUT_S = 600


@dataclass(frozen=True)
class NativeFigures:
    prefill_tps: float  # pp at depth 0
    decode_tps: float  # tg after the prompt (depth = the prompt's tokens)


def native_bench_binary(cache_root: Path | None = None) -> Path:
    """Where this CPU's llama-bench is (or will be) kept: one per llama-cpp-python
    version and CPU model (a native build may use instructions another CPU lacks)."""
    root = cache_root or Path(os.environ.get("HEARTH_BUILD_CACHE", Path.home() / ".cache" / "hearth-build"))
    key = hashlib.sha256(_cpu_identity().encode()).hexdigest()[:16]
    return root / "llama-bench" / f"{metadata.version(_PACKAGE)}-{key}" / "llama-bench"


def build_native_bench(target: Path, *, jobs: int | None = None, log: Path | None = None) -> Path:
    """Download llama-cpp-python's sdist, build its vendored llama.cpp's llama-bench with
    GGML_NATIVE=ON, and keep the binary (with its libraries) at `target`'s folder."""
    if shutil.which("cmake") is None:
        raise HearthError("Building llama-bench needs cmake (and a C++ compiler).")
    version = metadata.version(_PACKAGE)
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent.parent) as scratch:
        work = Path(scratch)
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
              "--no-binary", ":all:", f"{_PACKAGE}=={version}", "-d", str(work)], "download the llama.cpp source", log)
        (archive,) = work.glob("*.tar.gz")
        with tarfile.open(archive) as sdist:
            sdist.extractall(work, filter="data")
        source = next(work.glob("*/vendor/llama.cpp"))
        build = work / "build"
        _run(["cmake", "-S", str(source), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON",
              "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
              "-DLLAMA_BUILD_SERVER=OFF", "-DBUILD_SHARED_LIBS=OFF"], "configure llama.cpp", log)
        _run(["cmake", "--build", str(build), "--target", "llama-bench", "-j", str(jobs or os.cpu_count() or 2)],
             "build llama-bench", log)
        built = next(p for p in (build / "bin" / "llama-bench", *build.rglob("llama-bench")) if p.is_file())
        staging = work / "staged"
        staging.mkdir()
        shutil.copy2(built, staging / "llama-bench")
        shutil.rmtree(target.parent, ignore_errors=True)
        os.replace(staging, target.parent)  # whole or not at all
    return target


def run_native_bench(binary: Path, model: Path, *, prompt_tokens: int, decode_tokens: int, threads: int,
                     gpu: bool = False) -> NativeFigures:
    """One pp and one tg measurement (llama-bench's own median of -r 1 is the run)."""
    common = [str(binary), "-m", str(model), "-t", str(threads), "-r", "1", "-o", "json",
              "-ngl", "99" if gpu else "0"]
    prefill = parse_llama_bench(_output([*common, "-p", str(prompt_tokens), "-n", "0"]))
    decode = parse_llama_bench(_output([*common, "-p", "0", "-n", str(decode_tokens), "-d", str(prompt_tokens)]))
    return NativeFigures(prefill_tps=prefill["prefill"], decode_tps=decode["decode"])


def parse_llama_bench(output: str) -> dict[str, float]:
    """llama-bench's `-o json` as {"prefill": tok/s, "decode": tok/s} (what it measured)."""
    try:
        rows = json.loads(output)
    except json.JSONDecodeError as error:
        raise HearthError("llama-bench did not print JSON; is it the right binary?") from error
    figures: dict[str, float] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("avg_ts"), (int, float)):
            continue
        if row.get("n_prompt", 0) > 0 and row.get("n_gen", 0) == 0:
            figures["prefill"] = float(row["avg_ts"])
        elif row.get("n_gen", 0) > 0 and row.get("n_prompt", 0) == 0:
            figures["decode"] = float(row["avg_ts"])
    if not figures:
        raise HearthError("llama-bench printed no prompt or generation figures.")
    return figures


def _output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_RUN_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HearthError(f"llama-bench could not run: {error}.") from error
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise HearthError(f"llama-bench failed (exit {done.returncode}): {last}")
    return done.stdout


def _run(command: list[str], what: str, log: Path | None) -> None:
    with open(log or os.devnull, "a") as sink:
        try:
            done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, timeout=_BUILD_TIMEOUT_S,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HearthError(f"Could not {what}: {error}.") from error
    if done.returncode != 0:
        raise HearthError(f"Could not {what} (exit {done.returncode})" + (f"; see {log}." if log else "."))


def _cpu_identity() -> str:
    """The CPU model and its feature flags (what -march=native compiles for)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"{platform.machine()}|{platform.processor()}"
    fields = {name.strip(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return f"{platform.machine()}|{fields.get('model name', '')}|{fields.get('flags', '')}"
