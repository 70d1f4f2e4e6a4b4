"""Any GGUF on the hub: `hearth models search` and pulling OWNER/REPO[:QUANT], against
the loopback hub answering the hub's listing calls as the hub does."""

from __future__ import annotations

import json

import pytest
from tests_helpers import HubServer, write_tiny_language_model

from desktop.services.models import hub_search
from desktop.services.models.hub_search import HubSearchError, list_repo_files, search_hub
from desktop.services.models.projector_factory import write_test_projector

REPO = "hearth-test/Tiny-Chat-GGUF"


@pytest.fixture
def hub(tmp_path, isolated_home, monkeypatch):
    model = write_tiny_language_model(tmp_path / "m.gguf", width=640).read_bytes()
    bigger = write_tiny_language_model(tmp_path / "b.gguf", width=896).read_bytes()
    mmproj = write_test_projector(tmp_path / "p.gguf", text_width=640).read_bytes()
    server = HubServer({
        f"{REPO}/Tiny-Chat-Q4_K_M.gguf": model, f"{REPO}/Tiny-Chat-Q8_0.gguf": bigger,
        f"{REPO}/mmproj-Tiny-Chat-F16.gguf": mmproj, f"{REPO}/README.md": b"# Tiny chat\n",
        "hearth-test/tiny-safetensors-only/model.safetensors": b"\0" * 64,
    })
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    yield server
    server.close()


def test_search_lists_each_repo_s_files_by_quantisation_with_fit_marks(run_hearth, hub):
    found = run_hearth("models", "search", "tiny")
    assert found.returncode == 0, found.stderr
    text = found.stdout
    assert "hearth-test/Tiny-Chat-GGUF" in text and "apache-2.0" in text
    quant_lines = [line.split() for line in text.splitlines() if "hearth models pull" in line]
    assert [line[0] for line in quant_lines] == ["Q4_K_M", "Q8_0"]  # the usual default first
    assert all("fits" in line for line in quant_lines)
    assert f"hearth models pull {REPO}:Q4_K_M" in text
    assert "mmproj" in text and "mmproj-Tiny-Chat-F16.gguf" in text
    assert "no GGUF language model files in this repository" in text  # the safetensors-only repo
    nothing = run_hearth("models", "search", "no-such-model")
    assert nothing.returncode == 1 and "no GGUF repositories" in nothing.stdout


def test_any_hub_model_installs_verified_and_paired(run_hearth, hub, isolated_home):
    pulled = run_hearth("models", "pull", f"{REPO}:q4_k_m")
    assert pulled.returncode == 0, pulled.stderr
    assert "installed chat    Tiny-Chat-Q4_K_M.gguf" in pulled.stdout
    assert "installed mmproj  tiny-chat-q4_k_m-mmproj-Tiny-Chat-F16.gguf" in pulled.stdout
    manifest = json.loads((isolated_home / "data" / "models" / "installed.json").read_text())
    chat = next(m for m in manifest["models"] if m["name"] == "Tiny-Chat-Q4_K_M.gguf") \
        if isinstance(manifest, dict) else next(m for m in manifest if m["name"] == "Tiny-Chat-Q4_K_M.gguf")
    assert chat["mmproj"] == "tiny-chat-q4_k_m-mmproj-Tiny-Chat-F16.gguf" and len(chat["sha256"]) == 64
    # a projector of another width is refused before anything is installed
    wrong = run_hearth("models", "pull", f"{REPO}:Q8_0")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr and "640" in wrong.stderr
    alone = run_hearth("models", "pull", f"{REPO}:Q8_0", "--mmproj", "")
    assert alone.returncode == 0, alone.stderr
    assert "installed chat    Tiny-Chat-Q8_0.gguf" in alone.stdout and "mmproj" not in alone.stdout


def test_hub_problems_are_one_line(run_hearth, hub):
    missing = run_hearth("models", "pull", f"{REPO}:Q2_K")
    assert missing.returncode == 2 and "has no Q2_K file; it has Q4_K_M, Q8_0" in missing.stderr
    empty = run_hearth("models", "pull", "hearth-test/tiny-safetensors-only")
    assert empty.returncode == 2 and "no GGUF language model files" in empty.stderr
    unknown = run_hearth("models", "pull", "hearth-test/nothing-here")
    assert unknown.returncode == 2 and "no such repository" in unknown.stderr
    hub.down = True
    down = run_hearth("models", "search", "tiny")
    assert down.returncode == 2 and "not available right now (it answered 503)" in down.stderr
    for result in (missing, empty, unknown, down):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_slow_hub_costs_seconds_not_a_hang(hub, monkeypatch):
    monkeypatch.setattr(hub_search, "TIMEOUT_S", 0.3)
    hub.slow_s = 2.0
    with pytest.raises(HubSearchError, match=r"did not answer within 0\.3 s"):
        search_hub("tiny", endpoint=hub.url)
    hub.slow_s = 0.0
    assert [f.quant for f in list_repo_files(REPO, endpoint=hub.url).choices] == ["Q4_K_M", "Q8_0"]
