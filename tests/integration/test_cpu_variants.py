"""One wheel, every CPU (issue 15): the wheel carries llama.cpp's per-CPU modules and
Hearth loads the best one this machine can run; a variant can be asked for by name; one
this CPU cannot run is one clear line. The real wheel, the real `hearth`."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

VARIANT_BUILD = (platform.machine().lower() in ("x86_64", "amd64") and sys.platform.startswith("linux"))
pytestmark = pytest.mark.skipif(not VARIANT_BUILD, reason="the bootstrap builds CPU variants on x86-64 Linux")


def lib_dir() -> Path:
    import llama_cpp._ggml as ggml

    return Path(ggml.libggml_base_path)


def scores_in_a_fresh_process() -> dict[str, int]:
    script = ("import ctypes, json, pathlib, sys\n"
              "from desktop.services.ggml_backends import module_kind\n"
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
    assert {"x64", "haswell", "skylakex", "sapphirerapids"} <= set(scores)
    best = max((n for n in scores if n != "sapphirerapids" and scores[n] > 0), key=lambda n: scores[n])
    result = run_hearth("doctor")
    line = next(line for line in result.stdout.splitlines() if line.startswith("cpu kernels"))
    assert line.split()[2] == f"{best}:", line
    assert "the best of" in line


def test_a_variant_asked_for_by_name_answers(run_hearth, cli_home, monkeypatch):
    monkeypatch.setenv("HEARTH_CPU_VARIANT", "x64")  # plain x86-64: no vector code at all
    doctor = run_hearth("doctor")
    assert "cpu kernels  x64:" in doctor.stdout and "as HEARTH_CPU_VARIANT asks" in doctor.stdout
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
