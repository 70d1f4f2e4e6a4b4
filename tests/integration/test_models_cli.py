"""`hearth models` end to end: the real console script against a loopback hub."""

from __future__ import annotations

import json

import pytest
from tests_helpers import HubServer, word_error_rate, write_test_catalog, write_tiny_language_model

from desktop.core.audio import read_wav
from desktop.services.projector_factory import write_test_projector
from desktop.services.transcriber import Transcriber

REPO = "hearth-test/tiny-vision-GGUF"
WHISPER_REPO = "hearth-test/faster-whisper-tiny.en"
SENTENCE = "What is the weather like in London today?"
WHISPER_FILES = ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]


@pytest.fixture
def hub_home(tmp_path, isolated_home, starter, monkeypatch):
    """A hub on loopback serving a tiny vision model and the real Whisper tiny.en, and a
    catalog naming them; `hearth` finds both through HF_ENDPOINT and HEARTH_CATALOG."""
    model = write_tiny_language_model(tmp_path / "m.gguf", width=640).read_bytes()
    mmproj = write_test_projector(tmp_path / "p.gguf", text_width=640).read_bytes()
    files = {f"{REPO}/tiny-Q4_K_M.gguf": model, f"{REPO}/mmproj-model-f16.gguf": mmproj}
    files |= {f"{WHISPER_REPO}/{n}": (starter.whisper / n).read_bytes() for n in WHISPER_FILES}
    sizes = [len(files[f"{WHISPER_REPO}/{n}"]) for n in WHISPER_FILES]
    write_test_catalog(tmp_path / "catalog.toml", [
        {"name": "tiny-vision", "title": "Tiny Vision", "repo": REPO, "file": "tiny-Q4_K_M.gguf",
         "size": len(model), "mmproj": "mmproj-model-f16.gguf", "mmproj_size": len(mmproj), "quant": "F16",
         "license": "mit", "context_length": 2048, "capabilities": ["chat", "vision"], "memory_gb": 0.5},
        {"name": "whisper-test", "title": "Whisper tiny.en", "kind": "whisper", "repo": WHISPER_REPO,
         "files": WHISPER_FILES, "file_sizes": sizes, "size": sum(sizes), "quant": "float16", "license": "mit",
         "languages": "en", "capabilities": ["speech"], "memory_gb": 0.4},
        {"name": "giant", "title": "Giant", "repo": "o/giant", "file": "giant.gguf", "size": 2**40,
         "quant": "Q4_K_M", "license": "mit", "context_length": 2048, "capabilities": ["chat"],
         "memory_gb": 1100.0},
    ])
    server = HubServer(files)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HEARTH_CATALOG", str(tmp_path / "catalog.toml"))
    yield isolated_home / "data" / "models"
    server.close()


def test_pull_list_use_and_remove(run_hearth, hub_home, isolated_home):
    result = run_hearth("models", "pull", "tiny-vision")
    assert result.returncode == 0, result.stderr
    assert "100%" in result.stderr and "MB/s" in result.stderr  # the progress bar
    assert "installed chat    tiny-Q4_K_M.gguf" in result.stdout
    assert "installed mmproj  tiny-vision-mmproj-model-f16.gguf" in result.stdout

    listing = run_hearth("models", "list")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "tiny-Q4_K_M.gguf  (+ tiny-vision-mmproj-model-f16.gguf)" in listing.stdout
    assert "CPU only" in listing.stdout
    catalog = {line[2:].split()[0]: line for line in listing.stdout.partition("catalog, marked")[2].splitlines()[2:]}
    assert "fits" in catalog["tiny-vision"] and "installed" in catalog["tiny-vision"]
    assert "too big" in catalog["giant"] and "installed" not in catalog["giant"]

    assert run_hearth("models", "use", "tiny-Q4_K_M.gguf").returncode == 0
    settings = json.loads((isolated_home / "config" / "settings.json").read_text())
    assert settings["model_path"] == str(hub_home / "tiny-Q4_K_M.gguf") and settings["mmproj_path"] is None

    removed = run_hearth("models", "rm", "tiny-vision")
    assert removed.returncode == 0, removed.stderr
    assert not (hub_home / "tiny-Q4_K_M.gguf").exists()
    assert not (hub_home / "tiny-vision-mmproj-model-f16.gguf").exists()
    assert json.loads((isolated_home / "config" / "settings.json").read_text())["model_path"] is None


def test_pulled_whisper_transcribes(run_hearth, hub_home, speak):
    result = run_hearth("models", "pull", "whisper-test")
    assert result.returncode == 0, result.stderr
    transcriber = Transcriber(hub_home / "whisper-test")
    try:
        text = transcriber.transcribe(read_wav(speak(SENTENCE, name="pulled.wav"))).text
    finally:
        transcriber.close()
    assert word_error_rate(SENTENCE, text) <= 0.1, text


def test_pull_problems_are_one_line(run_hearth, hub_home):
    unknown = run_hearth("models", "pull", "gpt-5")
    assert unknown.returncode == 2 and "No model called 'gpt-5'" in unknown.stderr
    giant = run_hearth("models", "pull", "giant")
    assert giant.returncode == 2
    assert "too big" in giant.stderr and "Not enough free disk space" in giant.stderr
    assert "Traceback" not in unknown.stderr + giant.stderr


def test_import_pairs_and_refuses_with_reasons(run_hearth, isolated_home, tmp_path):
    model = write_tiny_language_model(tmp_path / "mine-q4.gguf", width=640)
    mmproj = write_test_projector(tmp_path / "mmproj-mine.gguf", text_width=640)
    other = write_test_projector(tmp_path / "mmproj-other.gguf", text_width=896)
    (tmp_path / "broken.gguf").write_bytes(model.read_bytes()[:1000])
    result = run_hearth("models", "import", str(model), str(mmproj), str(other), str(tmp_path / "broken.gguf"))
    assert result.returncode == 2
    assert "paired   mine-q4.gguf with mmproj-mine.gguf" in result.stdout
    assert "mmproj-other.gguf was not imported" in result.stderr and "896-wide" in result.stderr
    assert "broken.gguf is" in result.stderr and "Traceback" not in result.stderr
    models = isolated_home / "data" / "models"
    assert sorted(p.name for p in models.glob("*.gguf")) == ["mine-q4.gguf", "mmproj-mine.gguf"]
