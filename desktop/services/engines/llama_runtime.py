"""llama.cpp process-wide plumbing: log routing, backends, and what the build can accelerate.

llama.cpp and libmtmd write to stderr even with `verbose=False`; `route_native_logs`
sends both through Python logging (logger `desktop.llama_cpp`), so the CLI stays clean
and `-v` shows everything.
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass

import llama_cpp
import llama_cpp.mtmd_cpp as mtmd_cpp

from desktop.services.engines.ggml_backends import LEFT_OUT, VARIANT_ENV, LoadedBackends, load_backends

__all__ = ["BackendInfo", "backend_info", "cpu_kernels", "route_native_logs"]

_native_log = logging.getLogger("desktop.llama_cpp")
# ggml_log_level: NONE=0, DEBUG=1, INFO=2, WARN=3, ERROR=4, CONT=5 (continuation: DEBUG)
_LEVELS = {0: logging.INFO, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}


@llama_cpp.llama_log_callback
def _log_callback(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    message = text.decode("utf-8", errors="replace").rstrip()
    if message:
        _native_log.log(_LEVELS.get(level, logging.DEBUG), "%s", message)


def route_native_logs() -> None:
    """Point llama.cpp's and libmtmd's log callbacks at Python logging (idempotent)."""
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
    mtmd_cpp.mtmd_log_set(_log_callback, ctypes.c_void_p(0))
    mtmd_cpp.mtmd_helper_log_set(_log_callback, ctypes.c_void_p(0))


@dataclass(frozen=True)
class BackendInfo:
    """What this llama.cpp build runs on."""

    name: str  # "CUDA", "Metal", "Vulkan", "HIP", "SYCL" or "CPU"
    gpu_offload: bool  # llama_supports_gpu_offload()
    system_info: str
    llama_cpp_python: str
    cpu_kernels: str = ""  # the CPU code in use, e.g. "icelake: AVX512_VNNI (FMA, F16C, BMI2), ..."


def backend_info() -> BackendInfo:
    """What runs here; loads llama.cpp's backends first (once), as a model load needs."""
    route_native_logs()  # before loading: ggml logs each module it loads
    loaded = load_backends()
    system = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    return BackendInfo(
        name=accelerator_name(loaded.registered, system) if offload else "CPU", gpu_offload=offload,
        system_info=system, llama_cpp_python=llama_cpp.__version__, cpu_kernels=cpu_kernels(system, loaded),
    )


def accelerator_name(registered: tuple[str, ...], system_info: str) -> str:
    """The GPU backend by ggml's own name for it ("Vulkan": llama_print_system_info()
    does not mention Vulkan, so it once read as "GPU"), else as the system info says."""
    own = next((name for name in registered if name not in _NOT_ACCELERATORS), None)
    if own:
        return own
    return next((c for c in ("CUDA", "Metal", "Vulkan", "HIP", "ROCm", "SYCL", "OpenCL")
                 if c.lower() in system_info.lower()), "GPU")


_NOT_ACCELERATORS = ("CPU", "BLAS", "RPC")  # ggml backends that are no GPU
# Best first: the widest vector code the CPU backend was built with is what runs.
_X86 = ("AMX_INT8", "AVX512_BF16", "AVX512_VNNI", "AVX512", "AVX_VNNI", "AVX2", "AVX", "SSSE3", "SSE3")
_ARM = ("SME", "SVE", "MATMUL_INT8", "DOTPROD", "NEON")
_EXTRAS = ("FMA", "F16C", "BMI2", "FP16_VA")


def cpu_kernels(system_info: str, loaded: LoadedBackends | None = None) -> str:
    """Name the CPU code llama.cpp runs: its instruction level from
    `llama_print_system_info()`, and which of the wheel's per-CPU variants was chosen
    (a build without variants runs the same code on every machine)."""
    enabled = set()
    for part in system_info.replace(":", "|").split("|"):
        name, _, value = part.partition("=")
        if value.strip() == "1":
            enabled.add(name.strip())
    level = next((f for f in (*_X86, *_ARM) if f in enabled), "generic C")
    extras = [f for f in _EXTRAS if f in enabled]
    kernels = f"{level}" + (f" ({', '.join(extras)})" if extras else "")
    if loaded is None or loaded.cpu_variant is None:
        return f"{kernels}, one portable build"
    if loaded.asked:
        return f"{loaded.cpu_variant}: {kernels}, as {VARIANT_ENV} asks (the best here is {loaded.runnable[0]})"
    left_out = [name for name in loaded.runnable if name in LEFT_OUT]
    note = f" ({', '.join(left_out)}, with AMX, is left out unless named in {VARIANT_ENV})" if left_out else ""
    return f"{loaded.cpu_variant}: {kernels}, the best of {len(loaded.runnable)} variant(s) this CPU can run{note}"
