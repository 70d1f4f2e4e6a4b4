"""Importing files a person has: checked before copying, paired by their headers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from gguf import GGUFWriter
from tests_helpers import write_tiny_language_model

from desktop.services.models.model_import import import_models
from desktop.services.models.model_store import ModelStore
from desktop.services.models.projector_factory import write_test_projector


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    return folder


def write_family_projector(path, *, projector_type: str, width: int):
    """A header-only projector of a given family (enough for the pairing rules)."""
    writer = GGUFWriter(str(path), arch="clip")
    writer.add_string("clip.projector_type", projector_type)
    writer.add_uint32("clip.vision.projection_dim", width)
    writer.add_tensor("mm.0.weight", np.zeros((width, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_model_and_its_projector_import_paired(store, downloads):
    model = write_tiny_language_model(downloads / "tiny-q4.gguf", width=640)
    mmproj = write_test_projector(downloads / "mmproj-tiny-f16.gguf", text_width=640)
    report = import_models([model, mmproj], store)
    assert report.problems == []
    assert {(m.name, m.role) for m in report.installed} == {("tiny-q4.gguf", "chat"), ("mmproj-tiny-f16.gguf", "mmproj")}
    assert report.pairs == [("tiny-q4.gguf", "mmproj-tiny-f16.gguf")]
    assert store.get("tiny-q4.gguf").mmproj == "mmproj-tiny-f16.gguf"
    assert (store.models_dir / "tiny-q4.gguf").read_bytes() == model.read_bytes()  # a copy
    assert model.exists()  # the person's own file stays where it was
    assert all(store.check(m, full=True).ok for m in store.installed())


def test_the_right_projector_is_chosen_among_several(store, downloads):
    small = write_tiny_language_model(downloads / "small-q4.gguf", width=640, name="Small")
    wide = write_tiny_language_model(downloads / "wide-q4.gguf", width=896, name="Wide")
    for_wide = write_test_projector(downloads / "mmproj-wide.gguf", text_width=896)
    for_small = write_test_projector(downloads / "mmproj-small.gguf", text_width=640)
    report = import_models([for_wide, small, for_small, wide], store)
    assert sorted(report.pairs) == [("small-q4.gguf", "mmproj-small.gguf"), ("wide-q4.gguf", "mmproj-wide.gguf")]


def test_a_projector_of_the_wrong_width_is_refused_with_the_reason(store, downloads):
    model = write_tiny_language_model(downloads / "tiny.gguf", width=640)
    wrong = write_test_projector(downloads / "mmproj-other.gguf", text_width=896)
    report = import_models([model, wrong], store)
    assert [m.name for m in report.installed] == ["tiny.gguf"]
    assert len(report.problems) == 1 and "896-wide" in report.problems[0] and "640" in report.problems[0]
    assert store.get("tiny.gguf").mmproj == ""


def test_a_projector_of_another_family_is_refused_even_at_the_same_width(store, downloads):
    model = write_tiny_language_model(downloads / "qwen-like.gguf", arch="qwen2", width=640)
    gemma = write_family_projector(downloads / "mmproj-gemma.gguf", projector_type="gemma3", width=640)
    report = import_models([model, gemma], store)
    assert "gemma3 projector" in report.problems[0] and "qwen2 model" in report.problems[0]


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100)), "not a GGUF model file"),
    (lambda p: p.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40), "damaged or truncated"),
    (lambda p: p.write_bytes(write_tiny_language_model(p).read_bytes()[:-5000]), "truncated"),
    (lambda p: write_tiny_language_model(p, arch="banana"), "'banana' model, an architecture"),
    (lambda p: write_family_projector(p, projector_type="hologram", width=640), "'hologram' projector"),
])
def test_bad_files_get_one_sentence_and_are_not_copied(store, downloads, make, message):
    path = downloads / "bad.gguf"
    make(path)
    report = import_models([path], store)
    assert report.installed == [] and len(report.problems) == 1
    assert message in report.problems[0]
    assert not (store.models_dir / "bad.gguf").exists()


def test_good_files_still_import_beside_a_bad_one(store, downloads):
    good = write_tiny_language_model(downloads / "good.gguf")
    (downloads / "notes.txt").write_text("hello")
    report = import_models([downloads / "notes.txt", good, downloads / "missing.gguf"], store)
    assert [m.name for m in report.installed] == ["good.gguf"]
    assert len(report.problems) == 2 and "does not exist" in report.problems[1]


def test_whisper_folder_imports_and_other_folders_do_not(store, starter, downloads):
    report = import_models([starter.whisper], store)
    assert [(m.name, m.role) for m in report.installed] == [("whisper-tiny.en", "whisper")]
    assert (store.models_dir / "whisper-tiny.en" / "model.bin").stat().st_size == (starter.whisper / "model.bin").stat().st_size
    (downloads / "photos").mkdir()
    report = import_models([downloads / "photos"], store)
    assert "not a Whisper model folder" in report.problems[0]


def test_checking_files_never_loads_llama_cpp(tmp_path):
    """The checks are the gguf package's: llama.cpp is not even imported."""
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
    code = (
        "import sys; from pathlib import Path\n"
        "from desktop.services.models.model_import import import_models\n"
        "from desktop.services.models.model_store import ModelStore\n"
        f"r = import_models([Path({str(bad)!r})], ModelStore(Path({str(tmp_path / 'm')!r})))\n"
        "print(len(r.problems), 'llama_cpp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "False"]


def test_a_projector_pairs_with_an_installed_model_whatever_its_role(store, downloads):
    """The starter Gemma 3 270M is kept as the "plumbing" model; a gemma3 projector for it
    is still imported and paired with it (it was refused: "no installed model pairs")."""
    store.models_dir.mkdir(parents=True)
    gemma = write_tiny_language_model(store.models_dir / "gemma-3-tiny.gguf", arch="gemma3", width=640)
    store.record(store.describe(gemma.name, "plumbing", "the starter models"))
    projector = write_family_projector(downloads / "mmproj-gemma.gguf", projector_type="gemma3", width=640)
    report = import_models([projector], store)
    assert report.problems == []
    assert report.pairs == [("gemma-3-tiny.gguf", "mmproj-gemma.gguf")]
    assert store.get("gemma-3-tiny.gguf").mmproj == "mmproj-gemma.gguf"
