from __future__ import annotations

import os
from pathlib import Path

from desktop.services.models.hardware import _nvidia_vram_bytes, detect_hardware, total_ram_bytes


def test_ram_matches_the_kernels_figure():
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    kernel = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1]) * 1024
    assert abs(total_ram_bytes() - kernel) < 0.05 * kernel


def test_this_cpu_build_reports_no_gpu():
    """The test machine has no GPU and a CPU build of llama.cpp (see `hearth doctor`)."""
    hardware = detect_hardware()
    assert hardware.backend == "CPU" and not hardware.gpu and hardware.vram_bytes is None


def test_vram_is_read_from_nvidia_smi(tmp_path, monkeypatch):
    """No NVIDIA GPU exists on the test machine, so a stand-in `nvidia-smi` prints what the
    real one prints for `--query-gpu=memory.total --format=csv,noheader,nounits` on a
    two-GPU machine; Hearth must take the larger, in bytes."""
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 81559\necho 24576\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert _nvidia_vram_bytes() == 81559 * 2**20
    fake.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    assert _nvidia_vram_bytes() is None
