"""`hearth models` end to end: the real console script against a loopback hub."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests_helpers import HubServer, word_error_rate, write_test_catalog, write_tiny_language_model

from desktop.core.audio import read_wav
from desktop.services.models.projector_factory import write_test_projector
from desktop.services.speech.transcriber import Transcriber

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


# A CTranslate2 model.bin header as ctranslate2 writes it: format 6, "WhisperSpec" revision 3, 1 variable.
CT2_HEADER = b"\x06\0\0\0\x0c\0WhisperSpec\0\x03\0\0\0\x01\0\0\0"


def fake_whisper_folder(path, model_bin: bytes = CT2_HEADER + bytes(2**20)):
    """A Whisper folder's layout with a plausible model.bin (never loaded here)."""
    path.mkdir()
    (path / "model.bin").write_bytes(model_bin)
    (path / "config.json").write_text("{}")
    (path / "tokenizer.json").write_text("{}")
    (path / "vocabulary.txt").write_text("a\nb\n")
    return path


@pytest.mark.parametrize("kind", ["FIFO", "/dev/zero"])
def test_import_refuses_pipes_and_devices(run_hearth, isolated_home, tmp_path, kind):
    """Today's main blocked for ever reading a FIFO given to `models import`."""
    path = tmp_path / "model.gguf"
    if kind == "FIFO":
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    result = run_hearth("models", "import", str(path), timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    expected = "model.gguf is a named pipe (FIFO)" if kind == "FIFO" else "zero is a device"
    assert f"hearth: {expected}, not a model file." in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def test_import_refuses_links_in_or_as_a_whisper_folder(run_hearth, isolated_home, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n")
    secret.chmod(0o600)
    leaky = fake_whisper_folder(tmp_path / "whisper-leaky")
    (leaky / "notes.txt").symlink_to(secret)
    linked = tmp_path / "whisper-linked"
    linked.symlink_to(fake_whisper_folder(tmp_path / "whisper-real"), target_is_directory=True)
    fifo_inside = fake_whisper_folder(tmp_path / "whisper-fifo")
    os.mkfifo(fifo_inside / "extra.json")
    result = run_hearth("models", "import", str(leaky), str(linked), str(fifo_inside), timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "hearth: whisper-leaky holds notes.txt, which is a symbolic link" in result.stderr
    assert "hearth: whisper-linked is a symbolic link; import the folder it points to" in result.stderr
    assert "hearth: whisper-fifo holds extra.json, which is a named pipe (FIFO)" in result.stderr
    models = isolated_home / "data" / "models"
    copied = [p for p in models.rglob("*") if p.is_file() and "secret-hash" in p.read_text(errors="replace")]
    assert copied == [] and not (models / "whisper-leaky").exists()


@pytest.mark.parametrize(("model_bin", "says"), [
    (b"", "it has no model.bin"),
    (bytes(range(256)) * 4096, "its model.bin is not a CTranslate2 model (format version 50462976 is unknown)"),
    (CT2_HEADER[:4], "its model.bin is only 4 B, too small to hold a model."),
    (CT2_HEADER.replace(b"WhisperSpec", b"TransformSp") + bytes(2**20),
     "its model.bin holds a CTranslate2 'TransformSp' model, not Whisper."),
    (CT2_HEADER[:-4] + bytes(4 + 2**20), "its model.bin holds no weights"),
], ids=["missing", "not CTranslate2", "tiny", "another spec", "no weights"])
def test_import_checks_the_whisper_model_bin(run_hearth, isolated_home, tmp_path, model_bin, says):
    folder = fake_whisper_folder(tmp_path / "whisper-odd", model_bin)
    if not model_bin:
        (folder / "model.bin").unlink()
    result = run_hearth("models", "import", str(folder))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"hearth: whisper-odd is not a Whisper model folder: {says}" in result.stderr
    assert not (isolated_home / "data" / "models" / "whisper-odd").exists()


def test_names_with_newlines_and_escapes_are_printed_escaped(run_hearth, isolated_home, tmp_path):
    """Today's main printed such a name raw: a forged line, and red text in the terminal."""
    model = write_tiny_language_model(tmp_path / "evil\nimported chat    fake.gguf\x1b[31m.gguf")
    imported = run_hearth("models", "import", str(model))
    assert imported.returncode == 0, imported.stderr
    shown = "evil\\nimported chat    fake.gguf\\x1b[31m.gguf"
    assert f"imported chat    {shown} (" in imported.stdout
    listing = run_hearth("models")
    assert listing.returncode == 0, listing.stderr
    assert f"  {shown}\n" in listing.stdout
    used = run_hearth("models", "use", model.name)
    assert f"{shown} is now the default chat model" in used.stdout
    missing = run_hearth("models", "rm", "gone\x1b]0;owned\x07")
    assert missing.returncode == 2 and "gone\\x1b]0;owned\\x07" in missing.stderr
    for result in (imported, listing, used, missing):
        assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr
        assert not any(line.startswith("imported chat    fake") for line in result.stdout.splitlines())
