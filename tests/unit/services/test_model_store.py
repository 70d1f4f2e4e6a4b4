from __future__ import annotations

import os

import pytest
from tests_helpers import write_tiny_language_model

from desktop.core.errors import ModelFileError
from desktop.services.models.model_store import ModelStore, sha256_of
from desktop.services.models.projector_factory import write_test_projector


def test_record_check_and_detect_damage(tmp_path):
    store = ModelStore(tmp_path)
    (tmp_path / "m.bin").write_bytes(b"x" * 1000)
    entry = store.describe("m.bin", "chat", "test")
    store.record(entry)
    assert store.installed() == [entry]
    assert store.check(entry, full=True).ok

    (tmp_path / "m.bin").write_bytes(b"y" * 1000)  # same size, other bytes
    assert not store.check(entry, full=True).ok
    stat = (tmp_path / "m.bin").stat()
    os.utime(tmp_path / "m.bin", ns=(stat.st_atime_ns, entry.mtime_ns))
    assert store.check(entry, full=False).ok  # the quick check trusts size + mtime
    assert "sha256" in store.check(entry, full=True).problem

    (tmp_path / "m.bin").write_bytes(b"short")
    assert "bytes" in store.check(entry, full=False).problem
    (tmp_path / "m.bin").unlink()
    assert "missing" in store.check(entry, full=False).problem


def test_folder_hash_covers_names_and_contents(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "model.bin").write_bytes(b"1")
    first = sha256_of(tmp_path / "a")
    (tmp_path / "a" / "model.bin").rename(tmp_path / "a" / "other.bin")
    assert sha256_of(tmp_path / "a") != first


def test_starter_models_are_installed_and_verified(starter):
    store = ModelStore(starter.folder)
    roles = {m.role: m for m in store.installed()}
    assert set(roles) == {"chat", "plumbing", "whisper", "mmproj"}
    assert roles["chat"].size == 491_400_064
    assert roles["chat"].sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert "meaningless" in roles["mmproj"].note
    assert all(store.check(m, full=False).ok for m in roles.values())


def test_chosen_prefers_the_configured_file_then_the_installed_one(tmp_path):
    store = ModelStore(tmp_path)
    assert store.chosen("chat", None) is None
    (tmp_path / "m.gguf").write_bytes(b"x")
    store.record(store.describe("m.gguf", "chat", "test"))
    assert store.chosen("chat", None) == tmp_path / "m.gguf"
    assert store.chosen("chat", "~/other.gguf").name == "other.gguf"
    assert "~" not in str(store.chosen("chat", "~/other.gguf"))


def test_quick_check_reads_a_gguf_header(tmp_path):
    store = ModelStore(tmp_path)
    (tmp_path / "fake.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 100)
    entry = store.describe("fake.gguf", "chat", "test")
    check = store.check(entry, full=False)
    assert not check.ok and "damaged or truncated" in check.problem


def test_remove_forgets_the_file_and_its_pairing(tmp_path):
    store = ModelStore(tmp_path)
    model = write_tiny_language_model(tmp_path / "m.gguf", width=640)
    write_test_projector(tmp_path / "p.gguf", text_width=640)
    store.record(store.describe("p.gguf", "mmproj", "test"))
    store.record(store.describe("m.gguf", "chat", "test", mmproj="p.gguf"))
    assert store.projector_for(model, None) == tmp_path / "p.gguf"
    store.remove("p.gguf")
    assert not (tmp_path / "p.gguf").exists()
    assert store.get("m.gguf").mmproj == ""
    assert store.projector_for(model, None) is None
    with pytest.raises(ModelFileError, match=r"No installed model called 'p\.gguf'"):
        store.remove("p.gguf")


def test_projector_for_pairs_by_header_when_nothing_was_recorded(tmp_path):
    """Models installed before pairing was recorded (or imported by hand) still get theirs."""
    store = ModelStore(tmp_path)
    model = write_tiny_language_model(tmp_path / "m.gguf", width=640)
    write_test_projector(tmp_path / "other.gguf", text_width=896)
    write_test_projector(tmp_path / "mine.gguf", text_width=640)
    for name in ("other.gguf", "mine.gguf"):
        store.record(store.describe(name, "mmproj", "test"))
    store.record(store.describe("m.gguf", "chat", "test"))
    assert store.projector_for(model, None) == tmp_path / "mine.gguf"
    assert store.projector_for(model, "~/chosen.gguf").name == "chosen.gguf"  # the person's choice wins
