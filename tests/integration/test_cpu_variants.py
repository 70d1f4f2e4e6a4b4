"""One wheel, every CPU (issue 15): the wheel carries llama.cpp's per-CPU modules and
Hearth loads the best one this machine can run; a variant can be asked for by name; one
this CPU cannot run is one clear line. The real wheel, the real `hearth`."""

from __future__ import annotations

import importlib.util
import platform
import subprocess
import sys
from pathlib import Path

import pytest


def _bootstrap_builds_variants() -> bool:
    """The bootstrap's own decision for this machine (packaging/bootstrap.py), so these
    tests run wherever it builds the variants and fail if the wheel lacks them. Where it
    does not (macOS: one Metal build; other CPUs ggml has no variant list for), there
    is no feature to test."""
    path = Path(__file__).resolve().parents[2] / "packaging" / "bootstrap.py"
    spec = importlib.util.spec_from_file_location("hearth_bootstrap", path)
    assert spec is not None and spec.loader is not None
    bootstrap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bootstrap)
    return "GGML_CPU_ALL_VARIANTS=ON" in bootstrap.accelerator_cmake_args()


X86 = platform.machine().lower() in ("x86_64", "amd64")
BASELINE = "x64" if X86 else "armv8.0_1"  # the variant with no vector extensions
pytestmark = pytest.mark.skipif(not _bootstrap_builds_variants(),
                                reason="the bootstrap builds no CPU variants here (macOS: one Metal build)")


def lib_dir() -> Path:
    import llama_cpp

    return Path(llama_cpp.__file__).parent / "lib"


def scores_in_a_fresh_process() -> dict[str, int]:
    script = ("import ctypes, json, pathlib, sys\n"
              "from desktop.services.engines.ggml_backends import module_kind\n"
              "out = {}\n"
              "for p in pathlib.Path(sys.argv[1]).iterdir():\n"
              "    kind = module_kind(p.name)\n"
              "    if kind and kind[0] == 'cpu':\n"
              "        f = ctypes.CDLL(str(p)).ggml_backend_score; f.restype = ctypes.c_int; out[kind[1]] = f()\n"
              "print(json.dumps(out))\n")
    import json

    result = subprocess.run([sys.executable, "-c", script, str(lib_dir())], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_the_wheel_carries_cpu_variants_and_the_best_runnable_one_is_loaded(run_hearth, cli_home):
    scores = scores_in_a_fresh_process()
    expected = {"x64", "haswell", "skylakex", "sapphirerapids"} if X86 else {"armv8.0_1", "armv8.2_1"}
    assert expected <= set(scores)
    best = max((n for n in scores if n != "sapphirerapids" and scores[n] > 0), key=lambda n: scores[n])
    result = run_hearth("doctor")
    line = next(line for line in result.stdout.splitlines() if line.startswith("cpu kernels"))
    assert line.split()[2] == f"{best}:", line
    assert "the best of" in line


def test_a_variant_asked_for_by_name_answers(run_hearth, cli_home, monkeypatch):
    monkeypatch.setenv("HEARTH_CPU_VARIANT", BASELINE)
    doctor = run_hearth("doctor")
    assert f"cpu kernels  {BASELINE}:" in doctor.stdout and "as HEARTH_CPU_VARIANT asks" in doctor.stdout
    result = run_hearth("ask", "What is the capital of France? Answer with one word.", "--temperature", "0")
    assert result.returncode == 0, result.stderr
    assert "paris" in result.stdout.lower()


def test_a_variant_this_cpu_cannot_run_is_one_clear_line(run_hearth, cli_home, monkeypatch):
    scores = scores_in_a_fresh_process()
    unrunnable = next((n for n, s in scores.items() if s == 0), "no-such-cpu")
    monkeypatch.setenv("HEARTH_CPU_VARIANT", unrunnable)
    result = run_hearth("ask", "Hello", "--temperature", "0")
    assert result.returncode == 2
    assert f"HEARTH_CPU_VARIANT={unrunnable} cannot run on this CPU" in result.stderr
    assert "Traceback" not in result.stderr
