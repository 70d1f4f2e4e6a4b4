"""What this machine has for running models: RAM, the llama.cpp backend and its VRAM.

VRAM is read only where the backend tells without a driver binding of our own:
`nvidia-smi` for CUDA (a local process, no socket); Metal shares the RAM; other
backends report "unknown" and the fit falls back to RAM.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
import sys

from desktop.core.hardware_fit import Hardware
from desktop.services.engines.llama_runtime import backend_info

__all__ = ["detect_hardware", "total_ram_bytes"]


def detect_hardware() -> Hardware:
    backend = backend_info().name
    unified = backend == "Metal" and platform.machine() == "arm64"
    vram = _nvidia_vram_bytes() if backend == "CUDA" else None
    return Hardware(ram_bytes=total_ram_bytes(), backend=backend, vram_bytes=vram, unified_memory=unified)


def total_ram_bytes() -> int:
    if sys.platform == "win32":
        class _MemoryStatus(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                        ("total_phys", ctypes.c_ulonglong), ("avail_phys", ctypes.c_ulonglong),
                        ("total_page", ctypes.c_ulonglong), ("avail_page", ctypes.c_ulonglong),
                        ("total_virtual", ctypes.c_ulonglong), ("avail_virtual", ctypes.c_ulonglong),
                        ("avail_extended", ctypes.c_ulonglong)]

        status = _MemoryStatus()
        status.length = ctypes.sizeof(_MemoryStatus)
        ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
        return int(status.total_phys)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _nvidia_vram_bytes() -> int | None:
    """Memory of the largest NVIDIA GPU, or None when nvidia-smi is absent or fails."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    try:
        out = subprocess.run([tool, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
        return max(int(line.strip()) for line in out.splitlines() if line.strip()) * 1024 * 1024
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
