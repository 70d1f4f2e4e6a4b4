"""The peer `hearth bench` compares with: llama-bench's JSON read right, one build per
CPU, and the CPU code in use named (issue 15). The JSON in llama_bench_output/ is what the natively built
llama-bench of llama-cpp-python 0.3.36's llama.cpp printed on this project's development machine
(2 vCPU AMD EPYC), `-p 64 -n 0` and `-p 0 -n 16 -d 64` on the starter Qwen2.5-Coder 0.5B."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.errors import HearthError
from desktop.services.bench import native_llama_bench
from desktop.services.bench.native_llama_bench import native_bench_binary, parse_llama_bench
from desktop.services.engines.llama_runtime import cpu_kernels

RECORDED = Path(__file__).with_name("llama_bench_output")
RECORDED_PP = (RECORDED / "pp64.json").read_text()
RECORDED_TG = (RECORDED / "tg16-depth64.json").read_text()


def test_prompt_and_generation_figures_are_read_from_llama_bench_json():
    assert parse_llama_bench(RECORDED_PP).keys() == {"prefill"}
    assert parse_llama_bench(RECORDED_TG).keys() == {"decode"}
    assert parse_llama_bench(RECORDED_PP)["prefill"] > parse_llama_bench(RECORDED_TG)["decode"] > 0


@pytest.mark.parametrize("printed", ["", "not json", "[]", '[{"n_prompt": 256, "n_gen": 0}]'])
def test_anything_else_is_one_clear_error(printed):
    with pytest.raises(HearthError):
        parse_llama_bench(printed)


def test_one_build_per_cpu_and_version(tmp_path, monkeypatch):
    here = native_bench_binary(tmp_path)
    assert here.name == "llama-bench" and here.is_relative_to(tmp_path / "llama-bench")
    assert native_bench_binary(tmp_path) == here
    monkeypatch.setattr(native_llama_bench, "_cpu_identity", lambda: "x86_64|another CPU|avx512f")
    assert native_bench_binary(tmp_path) != here  # a native build may not run on another CPU


@pytest.mark.parametrize(("system_info", "named"), [
    ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | OPENMP = 1 | REPACK = 1 |",
     "AVX2 (FMA, F16C, BMI2)"),
    ("CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | FMA = 1 |", "AVX512_VNNI (FMA)"),
    ("CPU : NEON = 1 | ARM_FMA = 1 | FP16_VA = 1 | DOTPROD = 1 | MATMUL_INT8 = 1 |", "MATMUL_INT8 (FP16_VA)"),
    ("CUDA : ARCHS = 900 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | AVX2 = 1 |", "AVX2"),
    ("CPU : OPENMP = 1 |", "generic C"),
])
def test_the_cpu_code_in_use_is_named(system_info, named):
    assert cpu_kernels(system_info) == f"{named}, one portable build"


def test_the_cpu_variant_loaded_is_named_and_one_asked_for_says_so():
    from desktop.services.engines.ggml_backends import LoadedBackends

    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | FMA = 1 |"
    best = LoadedBackends("icelake", ("icelake", "skylakex", "haswell", "x64"))
    assert cpu_kernels(info, best) == "icelake: AVX512_VNNI (FMA), the best of 4 variant(s) this CPU can run"
    asked = LoadedBackends("haswell", ("icelake", "skylakex", "haswell", "x64"), asked=True)
    assert cpu_kernels("CPU : AVX2 = 1 |", asked) == "haswell: AVX2, as HEARTH_CPU_VARIANT asks (the best here is icelake)"
    amx = LoadedBackends("zen4", ("sapphirerapids", "zen4", "x64"))  # seen on an H100 machine's Xeon
    assert cpu_kernels("CPU : AVX2 = 1 |", amx) == (
        "zen4: AVX2, the best of 3 variant(s) this CPU can run "
        "(sapphirerapids, with AMX, is left out unless named in HEARTH_CPU_VARIANT)")


def test_models_load_with_flash_attention_as_llama_cpp_s_own_tools_do(starter):
    """llama-cpp-python turns flash attention off; llama.cpp's default is "auto", and
    prefill ran about 14% faster with it in Hearth's portable build (2.3x natively)."""
    import llama_cpp

    from desktop.core.engine_types import EngineConfig
    from desktop.services.engines.llama_loader import load_model

    loaded = load_model(EngineConfig(model_path=starter.chat, n_ctx=4096, gpu_offload=False))
    try:
        assert loaded.llama.context_params.flash_attn_type == llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
        assert (loaded.llama.n_batch, loaded.llama.context_params.n_ubatch) == (2048, 512)  # llama-bench's
        assert loaded.llama.tokenize(b"hello")  # and it runs
    finally:
        loaded.llama.close()
