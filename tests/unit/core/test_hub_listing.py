"""The hub's listings read as what can be installed, whatever the hub sends."""

from __future__ import annotations

import pytest

from desktop.core.hub_listing import (
    RECOMMENDATION_RULE,
    HubFiles,
    hub_entry,
    parse_reference,
    parse_repos,
    parse_tree,
    pick,
    quant_of,
    recommended,
    smallest_first,
)

SHA = "ab" * 32


def gguf(path: str, size: int = 1000, sha256: str = SHA) -> dict:
    return {"type": "file", "path": path, "size": 134, "oid": "0" * 40, "lfs": {"oid": sha256, "size": size}}


def test_quantisation_is_read_from_the_name():
    assert quant_of("Llama-3.2-1B-Instruct-Q4_K_M.gguf") == "Q4_K_M"
    assert quant_of("Qwen3-8B-q8_0.gguf") == "Q8_0"
    assert quant_of("model-IQ4_XS-00001-of-00002.gguf") == "IQ4_XS"
    assert quant_of("mmproj-model-f16.gguf") == "F16"
    assert quant_of("Qwen3-1.7B.gguf") == "other"  # "Qwen3" is no quantisation


def test_files_are_grouped_the_usual_default_first_and_projectors_apart():
    listing = parse_tree("o/r", [
        gguf("r-Q8_0.gguf", 2000), gguf("r-Q4_K_M.gguf", 1000), gguf("r-IQ2_M.gguf", 500),
        gguf("mmproj-r-Q8_0.gguf", 300), gguf("mmproj-r-F16.gguf", 600),
        {"type": "file", "path": "README.md", "size": 10, "oid": "1" * 40},
        {"type": "directory", "path": "Q4_K_M", "oid": "2" * 40},
    ])
    assert [c.quant for c in listing.choices] == ["Q4_K_M", "Q8_0", "IQ2_M"]
    assert [f.path for f in listing.projectors] == ["mmproj-r-F16.gguf", "mmproj-r-Q8_0.gguf"]
    assert listing.choices[0].size == 1000 and listing.choices[0].files[0].sha256 == SHA


def test_a_split_gguf_is_one_choice_and_only_when_every_shard_is_there():
    listing = parse_tree("o/r", [
        gguf("Q4_K_M/r-Q4_K_M-00002-of-00002.gguf", 7), gguf("Q4_K_M/r-Q4_K_M-00001-of-00002.gguf", 5),
        gguf("Q8_0/r-Q8_0-00001-of-00003.gguf", 9), gguf("Q8_0/r-Q8_0-00003-of-00003.gguf", 9),
    ])
    (whole,) = listing.choices
    assert [f.path.split("/")[-1] for f in whole.files] == ["r-Q4_K_M-00001-of-00002.gguf",
                                                             "r-Q4_K_M-00002-of-00002.gguf"]
    assert whole.size == 12
    entry = hub_entry(listing, whole, None)
    assert entry.name == "r-q4_k_m" and len(entry.files) == 2 and entry.download_size == 12


@pytest.mark.parametrize("payload", [
    {"error": "nope"}, "text", None, [1, "x", None],
    [gguf("../../etc/evil.gguf"), gguf("/abs.gguf"), gguf("a\\\\b.gguf"), gguf("huge.gguf", 2**60),
     gguf("neg.gguf", -1), {"type": "file", "path": "x.gguf", "size": "12"}],
])
def test_hostile_or_broken_listings_give_nothing_to_install(payload):
    listing = parse_tree("o/r", payload)
    assert listing.choices == () and listing.projectors == ()


def test_a_bad_sha256_is_dropped_so_the_download_takes_the_hubs():
    (choice,) = parse_tree("o/r", [gguf("m-Q4_0.gguf", sha256="not-hex")]).choices
    assert choice.files[0].sha256 == ""


def test_repos_are_read_and_bad_ids_skipped():
    repos = parse_repos([
        {"id": "bartowski/Llama-3.2-1B-Instruct-GGUF", "downloads": 5, "likes": 2, "tags": ["license:llama3.2"]},
        {"id": "no-owner"}, {"id": "../../x/y"}, {"modelId": "o/old-style"}, "junk",
    ])
    assert [(r.repo_id, r.license) for r in repos] == [("bartowski/Llama-3.2-1B-Instruct-GGUF", "llama3.2"),
                                                      ("o/old-style", "")]
    assert parse_repos({"not": "a list"}) == []


def test_pick_takes_the_quantisation_asked_for_and_the_projector():
    listing = parse_tree("o/r", [gguf("r-Q4_K_M.gguf"), gguf("r-Q8_0.gguf"), gguf("mmproj-r-f16.gguf", 600)])
    choice, projector = pick(listing)
    assert choice.quant == "Q4_K_M" and projector is not None and projector.path == "mmproj-r-f16.gguf"
    assert pick(listing, "q8_0", "")[0].quant == "Q8_0" and pick(listing, "Q8_0", "")[1] is None
    with pytest.raises(ValueError, match="no Q2_K file; it has Q4_K_M, Q8_0"):
        pick(listing, "Q2_K")
    with pytest.raises(ValueError, match=r"no projector 'x\.gguf'; it has mmproj-r-f16\.gguf"):
        pick(listing, "", "x.gguf")
    with pytest.raises(ValueError, match="has no GGUF language model files"):
        pick(HubFiles("o/empty", (), ()))


def test_the_entry_installs_like_a_catalog_model():
    listing = parse_tree("o/r", [gguf("Weird Name!-Q4_K_M.gguf", 2**30), gguf("mmproj-f16.gguf", 2**28)])
    choice, projector = pick(listing)
    entry = hub_entry(listing, choice, projector, license_tag="mit")
    assert entry.name == "weird-name-q4_k_m" and entry.repo == "o/r" and entry.license == "mit"
    assert entry.capabilities == {"chat", "vision"} and entry.mmproj_local_name == "weird-name-q4_k_m-mmproj-f16.gguf"
    assert entry.download_size == 2**30 + 2**28 and entry.memory_gb > 1.25


def test_references_as_ollama_and_lm_studio_take_them():
    assert parse_reference("bartowski/Qwen3-8B-GGUF:q4_k_m") == ("bartowski/Qwen3-8B-GGUF", "Q4_K_M")
    assert parse_reference("hf.co/o/r") == ("o/r", "")
    assert parse_reference("gemma-3-4b") is None and parse_reference("../x") is None


def test_files_are_shown_smallest_first_and_same_sizes_by_bits_per_weight():
    listing = parse_tree("o/r", [gguf("r-F16.gguf", 900), gguf("r-Q8_0.gguf", 900), gguf("r-Q2_K.gguf", 900),
                                 gguf("r-Q4_K_M.gguf", 500), gguf("r-weird.gguf", 100)])
    assert [c.quant for c in smallest_first(listing.choices)] == ["other", "Q4_K_M", "Q2_K", "Q8_0", "F16"]


def test_the_pick_is_the_usual_default_that_fits_else_the_largest_that_fits():
    listing = parse_tree("o/r", [gguf("r-Q2_K.gguf", 300), gguf("r-Q4_K_M.gguf", 500), gguf("r-Q5_K_M.gguf", 600),
                                 gguf("r-Q6_K.gguf", 700), gguf("r-F16.gguf", 2000)])
    up_to = lambda limit: lambda choice: choice.size <= limit  # noqa: E731 - a machine with this much memory
    assert recommended(listing.choices, up_to(10_000)).quant == "Q4_K_M"  # not F16, though it fits
    assert recommended(listing.choices, up_to(450)).quant == "Q2_K"  # no usual default fits: the largest that does
    assert recommended(listing.choices, up_to(100)) is None
    assert "Q4_K_M" in RECOMMENDATION_RULE
