#!/usr/bin/env python3
"""Create the development environment `.venv` from nothing; safe to run again.

`make run` and `make test` call this. It needs only a Python >= 3.11 with venv,
a C/C++ compiler and CMake (llama-cpp-python builds from its sdist).

llama-cpp-python is built once per (version, CMAKE_ARGS, platform, Python) and the
wheel is kept in a cache, so a second set-up takes seconds:
    ${HEARTH_BUILD_CACHE:-~/.cache/hearth-build}/wheels/<key>/llama_cpp_python-*.whl

The accelerator is picked like this, unless CMAKE_ARGS is set by the caller:
    Apple Silicon macOS       -DGGML_METAL=on
    nvcc and an NVIDIA GPU    -DGGML_CUDA=on
    HEARTH_VULKAN=1           -DGGML_VULKAN=on
    otherwise                 CPU only
Everywhere but macOS the CPU code is built as llama.cpp's releases and Ollama build it:
one module per CPU generation (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS: x64, sse42,
haswell, skylakex, icelake, zen4, ... on x86-64; armv8.x/9.x on ARM Linux), and Hearth
loads the best one for the machine it runs on (desktop/services/engines/ggml_backends.py). So a
cached wheel runs everywhere, at the speed of a -march=native build. The modules go to
llama_cpp/lib beside libllama (CMAKE_INSTALL_BINDIR), where Hearth looks for them.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LLAMA_CPP_VERSION = "0.3.36"
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def log(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def has_nvidia_gpu() -> bool:
    if shutil.which("nvcc") is None or shutil.which("nvidia-smi") is None:
        return False
    probe = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return probe.returncode == 0 and "GPU" in probe.stdout


CPU_VARIANTS = (
    "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DCMAKE_INSTALL_BINDIR=llama_cpp/lib"
)


def accelerator_cmake_args() -> str:
    """CMAKE_ARGS for llama.cpp: the caller's, else the detected accelerator's."""
    if "CMAKE_ARGS" in os.environ:
        return os.environ["CMAKE_ARGS"]
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "-DGGML_METAL=on"
    machine = platform.machine().lower()
    x86 = machine in ("x86_64", "amd64") and sys.platform != "darwin"
    arm_linux = machine in ("aarch64", "arm64") and sys.platform.startswith("linux")
    cpu = CPU_VARIANTS if x86 or arm_linux else ""  # ggml has variant lists for these
    if os.environ.get("HEARTH_VULKAN") == "1":
        return f"-DGGML_VULKAN=on {cpu}".strip()
    if has_nvidia_gpu():
        return f"-DGGML_CUDA=on {cpu}".strip()
    return cpu


def wheel_cache_dir(cmake_args: str) -> Path:
    base = Path(os.environ.get("HEARTH_BUILD_CACHE", Path.home() / ".cache" / "hearth-build"))
    tag = f"{LLAMA_CPP_VERSION}|{cmake_args}|{sys.platform}|{platform.machine()}|"
    tag += f"{sys.version_info.major}.{sys.version_info.minor}"
    key = hashlib.sha256(tag.encode()).hexdigest()[:16]
    return base / "wheels" / f"llama-cpp-python-{LLAMA_CPP_VERSION}-{key}"


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(venv_python()), "-m", "pip", *args], check=True, env=env)


def cached_llama_wheel(cmake_args: str) -> Path:
    cache = wheel_cache_dir(cmake_args)
    wheels = sorted(cache.glob("llama_cpp_python-*.whl"))
    if wheels:
        log(f"llama-cpp-python {LLAMA_CPP_VERSION} from cache {cache}")
        return wheels[-1]
    log(f"building llama-cpp-python {LLAMA_CPP_VERSION} with CMAKE_ARGS='{cmake_args}'")
    log("(once per version and build flags; 10-20 minutes on 2 cores: the CPU code is built per CPU generation)")
    env = dict(os.environ, CMAKE_ARGS=cmake_args)
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
        pip(  # --no-cache-dir: pip's own wheel cache ignores CMAKE_ARGS
            "wheel", "--no-deps", "--no-cache-dir", "--no-binary", "llama-cpp-python",
            f"llama-cpp-python=={LLAMA_CPP_VERSION}", "-w", tmp, env=env,
        )
        built = sorted(Path(tmp).glob("llama_cpp_python-*.whl"))
        if not built:
            raise SystemExit("llama-cpp-python build produced no wheel")
        staging = Path(tmp) / "done"
        staging.mkdir()
        shutil.move(str(built[-1]), staging / built[-1].name)
        os.replace(staging, cache)  # the cache entry appears whole or not at all
    return sorted(cache.glob("llama_cpp_python-*.whl"))[-1]


def main() -> int:
    if not venv_python().exists():
        log(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    cmake_args = accelerator_cmake_args()
    wheel = cached_llama_wheel(cmake_args)
    marker = VENV / ".llama-cpp-python-build"
    if not marker.exists() or marker.read_text() != str(wheel):
        pip("install", "--quiet", "--force-reinstall", "--no-deps", str(wheel))
        marker.write_text(str(wheel))
    log("installing Hearth and its pinned dependencies")
    pip("install", "--quiet", "-e", f"{ROOT}[dev,starter]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
