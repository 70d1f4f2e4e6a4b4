"""Downloads from a real HTTP server on loopback that answers like the hub."""

from __future__ import annotations

import hashlib
import threading

import pytest
from tests_helpers import HubServer

from desktop.services.models.downloader import (
    DownloadCancelled,
    DownloadError,
    FileRequest,
    download_file,
)
from desktop.services.models.model_files import DiskFullError
from desktop.services.models.projector_factory import write_test_projector

REPO = "hearth-test/tiny-vision-GGUF"


@pytest.fixture
def gguf_bytes(tmp_path_factory):
    path = write_test_projector(tmp_path_factory.mktemp("gen") / "mmproj.gguf", text_width=640)
    return path.read_bytes()


@pytest.fixture
def hub(gguf_bytes):
    server = HubServer({f"{REPO}/mmproj-tiny.gguf": gguf_bytes, f"{REPO}/notes.gguf": b"GGUF but not really"})
    yield server
    server.close()


def request(data: bytes, **overrides) -> FileRequest:
    fields = {"repo": REPO, "filename": "mmproj-tiny.gguf", "size": len(data),
              "sha256": hashlib.sha256(data).hexdigest()}
    fields.update(overrides)
    return FileRequest(**fields)


def test_full_download_with_progress(hub, gguf_bytes, tmp_path):
    seen = []
    path = download_file(request(gguf_bytes), models_dir=tmp_path, endpoint=hub.url, progress=seen.append)
    assert path == tmp_path / "mmproj-tiny.gguf"
    assert path.read_bytes() == gguf_bytes
    assert seen and seen[-1].done == len(gguf_bytes) == seen[-1].total
    assert all(p.filename == "mmproj-tiny.gguf" for p in seen)


BIG = b"GGUF" + bytes(range(256)) * (160 * 1024)  # 40 MB: several chunks and progress updates


def test_dropped_connection_resumes_from_where_it_stopped(hub, tmp_path):
    hub.files[f"{REPO}/big.bin"] = BIG
    hub.drop_after = 25_000_000
    path = download_file(FileRequest(repo=REPO, filename="big.bin", size=len(BIG),
                                     sha256=hashlib.sha256(BIG).hexdigest()), models_dir=tmp_path, endpoint=hub.url)
    assert path.read_bytes() == BIG
    gets = [r for method, _key, r in hub.requests if method == "GET"]
    assert len(gets) == 2 and gets[1].startswith("bytes=") and gets[1] != "bytes=0-"  # resumed, not restarted


def test_cancel_leaves_nothing_installed(hub, tmp_path):
    hub.files[f"{REPO}/big.bin"] = BIG
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled):
        download_file(FileRequest(repo=REPO, filename="big.bin"), models_dir=tmp_path, endpoint=hub.url,
                      progress=lambda _p: cancel.set(), cancel=cancel)
    assert not (tmp_path / "big.bin").exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size > 1_000_000]
    assert leftovers == []  # no half file anywhere
    path = download_file(FileRequest(repo=REPO, filename="big.bin"), models_dir=tmp_path, endpoint=hub.url)
    assert path.read_bytes() == BIG  # and a new download works


def test_wrong_sha256_is_refused(hub, gguf_bytes, tmp_path):
    with pytest.raises(DownloadError, match="sha256"):
        download_file(request(gguf_bytes, sha256="0" * 64), models_dir=tmp_path, endpoint=hub.url)
    assert not (tmp_path / "mmproj-tiny.gguf").exists()


def test_not_a_gguf_is_refused(hub, tmp_path):
    with pytest.raises(DownloadError, match="not a usable GGUF"):
        download_file(FileRequest(repo=REPO, filename="notes.gguf"), models_dir=tmp_path, endpoint=hub.url)
    assert not (tmp_path / "notes.gguf").exists()


def test_missing_file_is_named(hub, tmp_path):
    with pytest.raises(DownloadError, match=r"nope\.gguf"):
        download_file(FileRequest(repo=REPO, filename="nope.gguf"), models_dir=tmp_path, endpoint=hub.url)


def test_server_down_is_one_clear_sentence(tmp_path, gguf_bytes):
    with pytest.raises(DownloadError, match="Could not reach"):
        download_file(request(gguf_bytes), models_dir=tmp_path, endpoint="http://127.0.0.1:9")


def test_not_enough_disk_is_checked_first(hub, tmp_path):
    with pytest.raises(DiskFullError, match="Not enough free disk"):
        download_file(FileRequest(repo=REPO, filename="mmproj-tiny.gguf", size=10**15), models_dir=tmp_path,
                      endpoint=hub.url)
    assert not any(m == "GET" for m, _k, _r in hub.requests)
