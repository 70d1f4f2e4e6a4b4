"""Which of llama.cpp's backend modules Hearth loads (issue 15): the rule, on scores."""

from __future__ import annotations

import pytest

from desktop.services.engines.ggml_backends import choose_cpu_variant, module_kind


@pytest.mark.parametrize(("name", "kind"), [
    ("libggml-cpu-haswell.so", ("cpu", "haswell")),
    ("ggml-cpu-icelake.dll", ("cpu", "icelake")),
    ("libggml-cpu-armv8.2_1.so", ("cpu", "armv8.2_1")),
    ("libggml-cuda.so", ("cuda", "")),
    ("libggml-vulkan.dylib", ("vulkan", "")),
    ("libggml.so", None),
    ("libggml-base.so", None),
    ("libggml-cpu-haswell.so.0", None),
    ("libllama.so", None),
])
def test_backend_modules_are_told_apart_by_name(name, kind):
    assert module_kind(name) == kind


def test_the_best_scored_variant_is_chosen_and_amx_is_left_out():
    scores = {"x64": 1, "haswell": 64, "icelake": 160, "sapphirerapids": 320, "zen4": 0}
    assert choose_cpu_variant(scores) == "icelake"  # AMX scores best, yet can crash VMs that advertise it


def test_a_variant_asked_for_by_name_is_used_only_if_this_cpu_runs_it():
    scores = {"x64": 1, "haswell": 64, "sapphirerapids": 320, "zen4": 0}
    assert choose_cpu_variant(scores, "x64") == "x64"
    assert choose_cpu_variant(scores, "sapphirerapids") == "sapphirerapids"  # asked for: the person knows
    assert choose_cpu_variant(scores, "zen4") is None
    assert choose_cpu_variant(scores, "nonsense") is None


def test_no_runnable_variant_is_none():
    assert choose_cpu_variant({"haswell": 0, "sapphirerapids": 5}) is None
    assert choose_cpu_variant({}) is None


def test_the_gpu_backend_is_named_as_ggml_registered_it():
    """A Vulkan build read as "GPU": llama_print_system_info() does not mention Vulkan
    (seen on an H200 and on lavapipe); ggml's registry names it."""
    from desktop.services.engines.llama_runtime import accelerator_name

    vulkan_info = "CPU : SSE3 = 1 | AVX2 = 1 | OPENMP = 1 | REPACK = 1 |"
    assert accelerator_name(("Vulkan", "CPU"), vulkan_info) == "Vulkan"
    assert accelerator_name(("CUDA", "CPU"), "CUDA : ARCHS = 900 |") == "CUDA"
    assert accelerator_name(("CPU", "BLAS"), "Metal : EMBED_LIBRARY = 1 |") == "Metal"  # the old reading
    assert accelerator_name(("CPU",), vulkan_info) == "GPU"


def test_this_builds_registry_is_read():
    from desktop.services.engines.ggml_backends import load_backends

    assert "CPU" in load_backends().registered
