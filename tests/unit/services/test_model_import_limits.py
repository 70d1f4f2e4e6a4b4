"""Importing reads only regular files and real folders, and a Whisper folder only when
its model.bin starts as CTranslate2 writes one."""

from __future__ import annotations

import os
import struct

import pytest
from tests_helpers import write_tiny_language_model

from desktop.services.models import model_import
from desktop.services.models.model_import import import_models, whisper_folder_problem
from desktop.services.models.model_store import ModelStore

CT2_HEADER = struct.pack("<IH", 6, 12) + b"WhisperSpec\0" + struct.pack("<II", 3, 1)


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def fake_whisper_folder(path):
    path.mkdir()
    (path / "model.bin").write_bytes(CT2_HEADER + bytes(2**20))
    for name, text in (("config.json", "{}"), ("tokenizer.json", "{}")):
        (path / name).write_text(text)
    return path


def test_real_whisper_models_pass_the_check(starter):
    """The starter tiny.en, converted by ctranslate2 itself, is what the header check expects."""
    assert (starter.whisper / "model.bin").read_bytes()[:18] == CT2_HEADER[:18]
    assert whisper_folder_problem(starter.whisper) == ""


@pytest.mark.timeout(60)  # today's main blocked for ever opening the FIFO
def test_a_fifo_or_device_is_one_problem_not_a_hang(store, tmp_path):
    os.mkfifo(tmp_path / "model.gguf")
    report = import_models([tmp_path / "model.gguf", "/dev/zero"], store)
    assert report.problems == ["model.gguf is a named pipe (FIFO), not a model file.",
                               "zero is a device, not a model file."]
    assert report.installed == []


def test_a_link_is_refused_by_the_copy_too(store, tmp_path, monkeypatch):
    """A link swapped in after the check (here: the check skipped) is still never followed."""
    folder = fake_whisper_folder(tmp_path / "whisper-x")
    (tmp_path / "secret").write_text("private")
    (folder / "secret.txt").symlink_to(tmp_path / "secret")
    monkeypatch.setattr(model_import, "whisper_folder_problem", lambda _folder: "")
    report = import_models([folder], store)
    assert report.installed == [] and "secret.txt, which is a symbolic link" in report.problems[0]
    assert not (store.models_dir / "whisper-x").exists()
    assert not (store.models_dir / "whisper-x.part").exists()


def test_a_nested_folder_of_regular_files_imports(store, tmp_path):
    folder = fake_whisper_folder(tmp_path / "whisper-nested")
    (folder / "extra").mkdir()
    (folder / "extra" / "README.md").write_text("notes")
    report = import_models([folder], store)
    assert report.problems == [] and (store.models_dir / "whisper-nested" / "extra" / "README.md").exists()


def test_a_link_to_a_gguf_file_is_followed(store, tmp_path):
    """A person's link to a model file they chose is theirs to import; only its kind is checked."""
    real = write_tiny_language_model(tmp_path / "real.gguf")
    (tmp_path / "link.gguf").symlink_to(real)
    report = import_models([tmp_path / "link.gguf"], store)
    assert report.problems == [] and not (store.models_dir / "link.gguf").is_symlink()
