"""The models folder's file operations (services/model_files.py)."""

from __future__ import annotations

import threading

import pytest

from desktop.services.models.model_files import (
    Cancelled,
    DiskFullError,
    check_free_space,
    remove,
    sha256_of,
    written_whole,
)


def test_a_file_appears_whole_or_not_at_all(tmp_path):
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), written_whole(target) as part:
        part.write_bytes(b"half")
        raise RuntimeError("the disk went away")
    assert target.read_bytes() == b"old" and not part.exists()  # the old file untouched, nothing half-made
    with written_whole(target) as part:
        part.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not yet
    assert target.read_bytes() == b"new" and not part.exists()


def test_a_folder_replaces_the_old_folder(tmp_path):
    target = tmp_path / "whisper-base"
    target.mkdir()
    (target / "stale.bin").write_bytes(b"x")
    with written_whole(target) as part:
        part.mkdir()
        (part / "model.bin").write_bytes(b"y")
    assert sorted(p.name for p in target.iterdir()) == ["model.bin"]


def test_remove_never_follows_a_link(tmp_path):
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "precious.txt").write_text("mine")
    link = tmp_path / "link"
    link.symlink_to(kept)
    remove(link)
    remove(tmp_path / "missing")  # nothing there: fine
    assert not link.exists() and (kept / "precious.txt").read_text() == "mine"


def test_hashing_stops_on_cancel_and_a_full_disk_is_one_sentence(tmp_path):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\0" * 10)
    assert sha256_of(blob) == "01d448afd928065458cf670b60f5a594d735af0172c8d67f22a81680132681ca"
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled, match="cancelled"):
        sha256_of(blob, cancel=cancel)
    with pytest.raises(DiskFullError, match=r"Not enough free disk space for the model: .* needed, .* free in "):
        check_free_space(tmp_path, 2**60, what="the model")
