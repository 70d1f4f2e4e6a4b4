from __future__ import annotations

from desktop.core.catalog import read_catalog
from desktop.core.hardware_fit import GIB, Hardware, fit_of, recommend, recommendations
from desktop.core.paths import repository_dir

CATALOG = read_catalog(repository_dir() / "models" / "catalog.toml")
LAPTOP = Hardware(ram_bytes=12 * GIB, backend="CPU", vram_bytes=None)
GAMING = Hardware(ram_bytes=32 * GIB, backend="CUDA", vram_bytes=12 * GIB)
MAC = Hardware(ram_bytes=36 * GIB, backend="Metal", vram_bytes=None, unified_memory=True)
WORKSTATION = Hardware(ram_bytes=256 * GIB, backend="CUDA", vram_bytes=96 * GIB)


def test_fit_marks_follow_memory():
    assert fit_of(CATALOG.get("gemma-3-4b"), LAPTOP) == "fits"
    assert fit_of(CATALOG.get("gemma-3-12b"), LAPTOP) == "tight"  # 9.5 GB of 12: most of the RAM
    assert fit_of(CATALOG.get("gemma-3-27b"), LAPTOP) == "too big"
    assert fit_of(CATALOG.get("gemma-3-12b"), GAMING) == "fits"  # in VRAM
    assert fit_of(CATALOG.get("gemma-3-27b"), GAMING) == "tight"  # spills into RAM
    assert fit_of(CATALOG.get("gemma-3-27b"), MAC) == "fits"
    assert fit_of(CATALOG.get("llama-4-scout"), MAC) == "too big"
    assert fit_of(CATALOG.get("llama-4-scout"), WORKSTATION) == "fits"


def test_recommendation_is_the_most_capable_that_runs_well():
    assert recommend(CATALOG.entries, LAPTOP, capability="vision").memory_gb <= 6  # quick enough on a CPU
    assert recommend(CATALOG.entries, GAMING, capability="vision").name == "gemma-3-12b"
    assert recommend(CATALOG.entries, WORKSTATION, capability="vision").name == "llama-4-scout"
    assert recommend(CATALOG.entries, GAMING, capability="speech").name in {"whisper-large-v3-turbo",
                                                                           "whisper-medium"}
    tiny = Hardware(ram_bytes=GIB // 2, backend="CPU", vram_bytes=None)
    assert recommend(CATALOG.entries, tiny, capability="vision") is None


def test_a_machine_is_recommended_a_text_model_a_vision_model_and_whisper():
    for machine in (LAPTOP, GAMING, MAC, WORKSTATION):
        text, vision, speech = recommendations(CATALOG.entries, machine)
        assert "chat" in text.capabilities and text.mmproj is None  # a text (or reasoning) model
        assert "vision" in vision.capabilities and speech.capabilities == {"speech"}
        assert fit_of(text, machine) == "fits"
    assert recommend(CATALOG.entries, LAPTOP, capability="text").memory_gb <= 6
    assert recommend(CATALOG.entries, LAPTOP, capability="reasoning").name.startswith(("deepseek-r1", "qwen3"))
    small = Hardware(ram_bytes=int(0.9 * GIB), backend="CPU", vram_bytes=None)
    assert [e.kind for e in recommendations(CATALOG.entries, small)] == ["whisper"]  # only Whisper fits


def test_describe_says_what_was_detected():
    assert GAMING.describe() == "32 GB RAM, CUDA GPU with 12 GB VRAM"
    assert LAPTOP.describe() == "12 GB RAM, CPU only"
    assert "shared" in MAC.describe()
