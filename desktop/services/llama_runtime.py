"""llama.cpp process-wide plumbing: log routing and what the build can accelerate.

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

__all__ = ["BackendInfo", "backend_info", "route_native_logs"]

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


def backend_info() -> BackendInfo:
    system = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    name = "CPU"
    if offload:
        for candidate in ("CUDA", "Metal", "Vulkan", "HIP", "ROCm", "SYCL", "OpenCL"):
            if candidate.lower() in system.lower():
                name = candidate
                break
        else:
            name = "GPU"
    return BackendInfo(
        name=name, gpu_offload=offload, system_info=system, llama_cpp_python=llama_cpp.__version__
    )
