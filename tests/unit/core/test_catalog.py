"""The shipped catalog: every entry's shape, the families it promises, and clear errors."""

from __future__ import annotations

import re

import pytest
from tests_helpers import write_test_catalog

from desktop.core.catalog import CatalogError, read_catalog
from desktop.core.paths import repository_dir

CATALOG = read_catalog(repository_dir() / "models" / "catalog.toml")


@pytest.mark.parametrize("entry", CATALOG.entries, ids=lambda e: e.name)
def test_every_entry_is_complete(entry):
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", entry.repo)
    assert entry.title and entry.license and entry.quant and entry.memory_gb > 0
    assert all(f.size > 0 for f in entry.files if f.filename.endswith((".gguf", ".bin")))
    assert all(re.fullmatch(r"([0-9a-f]{64})?", f.sha256) for f in entry.files)
    if entry.kind == "llm":
        assert entry.model_file.filename.endswith(".gguf") and entry.context_length
        assert ("vision" in entry.capabilities) == (entry.mmproj is not None)
        if entry.mmproj:
            assert "mmproj" in entry.mmproj.filename.lower() and entry.mmproj_local_name.startswith(entry.name)
        # a model needs at least its files' size in memory
        assert entry.memory_gb * 2**30 >= 0.9 * entry.download_size
    else:
        names = {f.filename for f in entry.files}
        assert {"model.bin", "config.json", "tokenizer.json"} <= names
        assert names & {"vocabulary.txt", "vocabulary.json"}
        assert entry.capabilities == {"speech"} and entry.languages


def test_the_families_people_ask_for_are_there():
    names = {e.name for e in CATALOG.entries}
    assert {"gemma-3-4b", "gemma-3-12b", "gemma-3-27b", "qwen2.5-vl-3b", "qwen2.5-vl-7b",
            "smolvlm2-256m", "smolvlm2-500m", "smolvlm2-2.2b", "llama-4-scout"} <= names
    assert any(n.startswith("qwen3-vl") for n in names)
    assert {f"whisper-{s}" for s in ("tiny", "base", "small", "medium", "large-v3-turbo")} <= names
    # text and reasoning models: Llama 3.x, a DeepSeek-R1 distill, Qwen3 small and mid, Mistral, Phi
    assert {"llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "mistral-7b-v0.3", "phi-4-mini"} <= names
    assert {"qwen3-1.7b", "qwen3-8b"} <= names and any(n.startswith("deepseek-r1-distill") for n in names)
    for entry in CATALOG.entries:
        if entry.mmproj is None and entry.name.startswith(("deepseek-r1", "qwen3-")):
            assert "reasoning" in entry.capabilities, entry.name
        if entry.mmproj is None and entry.name.startswith(("llama-3", "qwen3-", "mistral", "phi-4")):
            assert "tools" in entry.capabilities, entry.name
    scout = CATALOG.get("llama-4-scout")
    assert scout.large_machine and len(scout.files) == 2  # a split GGUF, first shard first
    assert scout.model_file.filename.endswith("00001-of-00002.gguf")


def test_projector_names_do_not_collide_once_installed():
    local = [e.mmproj_local_name for e in CATALOG.entries if e.mmproj]
    assert len(local) == len(set(local))
    assert len({e.local_name for e in CATALOG.entries}) == len(CATALOG.entries)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(CatalogError, match="gemma-3-4b"):
        CATALOG.get("gpt-5")


GOOD = {"name": "m", "title": "M", "repo": "o/r", "file": "m.gguf", "size": 10, "quant": "Q4_K_M",
        "license": "mit", "context_length": 4096, "capabilities": ["chat"], "memory_gb": 1.0}


@pytest.mark.parametrize(("change", "message"), [
    ({"repo": "no-owner"}, "owner/name"),
    ({"capabilities": ["chat", "vision"]}, "needs an mmproj"),
    ({"sha256": "xyz"}, "64 hex"),
    ({"file": "m.bin"}, r"\.gguf"),
    ({"memory_gb": 0}, "memory_gb"),
    ({"name": "Has Spaces"}, "lowercase"),
    ({"colour": "red"}, "unknown fields: colour"),
    ({"kind": "diffusion"}, "kind must be"),
])
def test_a_bad_entry_is_named_with_its_problem(tmp_path, change, message):
    write_test_catalog(tmp_path / "c.toml", [GOOD | change])
    with pytest.raises(CatalogError, match=message):
        read_catalog(tmp_path / "c.toml")


def test_missing_fields_duplicates_and_broken_toml(tmp_path):
    write_test_catalog(tmp_path / "c.toml", [{k: v for k, v in GOOD.items() if k != "license"}])
    with pytest.raises(CatalogError, match="lacks license"):
        read_catalog(tmp_path / "c.toml")
    write_test_catalog(tmp_path / "c.toml", [GOOD, GOOD])
    with pytest.raises(CatalogError, match="twice"):
        read_catalog(tmp_path / "c.toml")
    (tmp_path / "c.toml").write_text("[[model]\nname=")
    with pytest.raises(CatalogError, match="not valid TOML"):
        read_catalog(tmp_path / "c.toml")
