from __future__ import annotations

import os

from desktop.services.model_store import ModelStore, sha256_of


def test_record_check_and_detect_damage(tmp_path):
    store = ModelStore(tmp_path)
    (tmp_path / "m.gguf").write_bytes(b"x" * 1000)
    entry = store.describe("m.gguf", "chat", "test")
    store.record(entry)
    assert store.installed() == [entry]
    assert store.check(entry, full=True).ok

    (tmp_path / "m.gguf").write_bytes(b"y" * 1000)  # same size, other bytes
    assert not store.check(entry, full=True).ok
    stat = (tmp_path / "m.gguf").stat()
    os.utime(tmp_path / "m.gguf", ns=(stat.st_atime_ns, entry.mtime_ns))
    assert store.check(entry, full=False).ok  # the quick check trusts size + mtime
    assert "sha256" in store.check(entry, full=True).problem

    (tmp_path / "m.gguf").write_bytes(b"short")
    assert "bytes" in store.check(entry, full=False).problem
    (tmp_path / "m.gguf").unlink()
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
