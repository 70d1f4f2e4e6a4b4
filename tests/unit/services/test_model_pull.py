"""Pulling catalog models from a real HTTP server on loopback that answers like the hub:
a vision model is two verified files installed together, or nothing at all."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest
from tests_helpers import HubServer, write_test_catalog, write_tiny_language_model

from desktop.core.catalog import read_catalog
from desktop.services.models.downloader import DownloadCancelled, DownloadError
from desktop.services.models.model_files import DiskFullError
from desktop.services.models.model_pull import pull_model
from desktop.services.models.model_store import ModelStore
from desktop.services.models.projector_factory import write_test_projector

REPO = "hearth-test/tiny-vision-GGUF"
WHISPER_REPO = "hearth-test/faster-whisper-micro"


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("hub")
    model = write_tiny_language_model(folder / "tiny-Q4_K_M.gguf", width=640).read_bytes()
    mmproj = write_test_projector(folder / "mmproj.gguf", text_width=640).read_bytes()
    wrong = write_test_projector(folder / "wrong.gguf", text_width=896).read_bytes()
    return {
        f"{REPO}/tiny-Q4_K_M.gguf": model,
        f"{REPO}/mmproj-model-f16.gguf": mmproj,
        f"{REPO}/mmproj-wrong.gguf": wrong,
        f"{WHISPER_REPO}/config.json": b'{"alignment_heads": [], "lang_ids": []}',
        # a CTranslate2 header (format 6, "WhisperSpec" revision 3, 1 variable), then bytes
        f"{WHISPER_REPO}/model.bin": b"\x06\0\0\0\x0c\0WhisperSpec\0\x03\0\0\0\x01\0\0\0" + bytes(range(256)) * 4096,
        f"{WHISPER_REPO}/tokenizer.json": b"{}",
        f"{WHISPER_REPO}/vocabulary.txt": b"a\nb\n",
    }


@pytest.fixture
def hub(hub_files):
    server = HubServer(dict(hub_files))
    yield server
    server.close()


def vision_entry(hub_files, **overrides) -> dict:
    entry = {
        "name": "tiny-vision", "title": "Tiny Vision", "repo": REPO, "file": "tiny-Q4_K_M.gguf",
        "size": len(hub_files[f"{REPO}/tiny-Q4_K_M.gguf"]), "mmproj": "mmproj-model-f16.gguf",
        "mmproj_size": len(hub_files[f"{REPO}/mmproj-model-f16.gguf"]), "quant": "F16", "license": "mit",
        "context_length": 2048, "capabilities": ["chat", "vision"], "memory_gb": 0.1,
    }
    entry.update(overrides)
    return entry


def whisper_entry(hub_files) -> dict:
    names = ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    sizes = [len(hub_files[f"{WHISPER_REPO}/{n}"]) for n in names]
    return {
        "name": "whisper-micro", "title": "Whisper micro", "kind": "whisper", "repo": WHISPER_REPO,
        "files": names, "file_sizes": sizes, "size": sum(sizes), "quant": "float16", "license": "mit",
        "languages": "en", "capabilities": ["speech"], "memory_gb": 0.1,
    }


def entry_from(tmp_path: Path, fields: dict):
    write_test_catalog(tmp_path / "catalog.toml", [fields])
    return read_catalog(tmp_path / "catalog.toml").entries[0]


def test_vision_model_installs_with_its_projector_paired(hub, hub_files, tmp_path):
    store = ModelStore(tmp_path / "models")
    seen = []
    installed = pull_model(entry_from(tmp_path, vision_entry(hub_files)), store, endpoint=hub.url,
                           progress=seen.append)
    model, projector = installed
    assert (model.role, model.name, model.catalog) == ("chat", "tiny-Q4_K_M.gguf", "tiny-vision")
    assert projector.role == "mmproj" and projector.name == "tiny-vision-mmproj-model-f16.gguf"
    assert model.mmproj == projector.name  # paired in the manifest
    assert store.path_of(projector).read_bytes() == hub_files[f"{REPO}/mmproj-model-f16.gguf"]
    assert store.projector_for(store.path_of(model), None) == store.path_of(projector)
    assert {p.filename for p in seen} == {"tiny-Q4_K_M.gguf", "mmproj-model-f16.gguf"}
    assert all(store.check(m, full=True).ok for m in store.installed())
    assert not (store.models_dir / ".downloads" / "tiny-vision").exists()


def test_whisper_folder_installs_whole(hub, hub_files, tmp_path):
    store = ModelStore(tmp_path / "models")
    (model,) = pull_model(entry_from(tmp_path, whisper_entry(hub_files)), store, endpoint=hub.url)
    folder = store.path_of(model)
    assert model.role == "whisper" and folder.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert (folder / "model.bin").read_bytes() == hub_files[f"{WHISPER_REPO}/model.bin"]


def test_bytes_that_differ_from_the_hubs_published_sha256_are_refused(hub, hub_files, tmp_path):
    """No sha256 pinned in the catalog: the digest the hub publishes (X-Linked-Etag) is checked."""
    store = ModelStore(tmp_path / "models")
    hub.corrupt = True
    with pytest.raises(DownloadError, match="sha256"):
        pull_model(entry_from(tmp_path, vision_entry(hub_files)), store, endpoint=hub.url)
    assert store.installed() == []
    assert not (store.models_dir / "tiny-Q4_K_M.gguf").exists()


def test_a_pinned_sha256_wins_over_the_hub(hub, hub_files, tmp_path):
    store = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match="sha256"):
        pull_model(entry_from(tmp_path, vision_entry(hub_files, sha256="ab" * 32)), store, endpoint=hub.url)
    assert store.installed() == []


def test_a_projector_that_does_not_fit_installs_neither_file(hub, hub_files, tmp_path):
    store = ModelStore(tmp_path / "models")
    fields = vision_entry(hub_files, mmproj="mmproj-wrong.gguf",
                          mmproj_size=len(hub_files[f"{REPO}/mmproj-wrong.gguf"]))
    with pytest.raises(DownloadError, match="896-wide"):
        pull_model(entry_from(tmp_path, fields), store, endpoint=hub.url)
    assert store.installed() == []
    assert not any(p.suffix == ".gguf" for p in store.models_dir.rglob("*"))


def test_cancel_during_the_second_file_leaves_nothing(hub, hub_files, tmp_path):
    store = ModelStore(tmp_path / "models")
    cancel = threading.Event()

    def progress(p):
        if "mmproj" in p.filename:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        pull_model(entry_from(tmp_path, vision_entry(hub_files)), store, endpoint=hub.url,
                   progress=progress, cancel=cancel)
    assert store.installed() == []
    assert [p for p in store.models_dir.rglob("*") if p.is_file()] == []


def test_full_disk_is_refused_before_downloading(hub, hub_files, tmp_path, small_disk):
    big = b"GGUF" + bytes(200 * 2**20)
    hub.files[f"{REPO}/huge.gguf"] = big
    fields = vision_entry(hub_files, file="huge.gguf", size=len(big))
    store = ModelStore(small_disk / "models")
    with pytest.raises(DiskFullError, match="Not enough free disk space"):
        pull_model(entry_from(tmp_path, fields), store, endpoint=hub.url)
    assert not any(method == "GET" for method, _k, _r in hub.requests)


def test_disk_filling_up_mid_download_leaves_nothing_installed(hub, hub_files, tmp_path, small_disk):
    """The space was there at the start, then another program took it."""
    # 40 MB: fits the 128 MB disk, but not after the filler
    big = write_tiny_language_model(tmp_path / "big.gguf", width=320_000).read_bytes()
    hub.files[f"{REPO}/big.gguf"] = big
    fields = {k: v for k, v in vision_entry(hub_files, file="big.gguf", size=len(big)).items()
              if not k.startswith("mmproj")} | {"capabilities": ["chat"]}  # a text-only model
    store = ModelStore(small_disk / "models")
    filler = small_disk / "someone-elses-file"

    def fill_disk(_progress):
        if not filler.exists():
            with filler.open("wb") as handle, contextlib.suppress(OSError):  # the disk is full now
                handle.write(bytes(128 * 2**20))

    with pytest.raises(DownloadError, match="disk filled up"):
        pull_model(entry_from(tmp_path, fields), store, endpoint=hub.url, progress=fill_disk)
    assert store.installed() == []
    assert not (store.models_dir / "big.gguf").exists()
    filler.unlink()  # once there is room again, the same pull works
    installed = pull_model(entry_from(tmp_path, fields), store, endpoint=hub.url)
    assert store.path_of(installed[0]).read_bytes() == big


def test_a_pull_that_failed_resumes_next_time(hub, hub_files, tmp_path):
    """The network goes away mid-file; the next pull, once it is back, starts from the
    bytes already on disk instead of from zero."""
    big = write_tiny_language_model(tmp_path / "big.gguf", width=320_000).read_bytes()  # 40 MB
    hub.files[f"{REPO}/big.gguf"] = big
    fields = {k: v for k, v in vision_entry(hub_files, file="big.gguf", size=len(big)).items()
              if not k.startswith("mmproj")} | {"capabilities": ["chat"]}
    store = ModelStore(tmp_path / "models")
    hub.drop_after, hub.down_after_drop = 25_000_000, True
    with pytest.raises(DownloadError, match=r"not answering \(503\); try again later"):
        pull_model(entry_from(tmp_path, fields), store, endpoint=hub.url)
    assert store.installed() == [] and not (store.models_dir / "big.gguf").exists()
    first_attempts = len([r for m, _k, r in hub.requests if m == "GET"])
    hub.down = False
    installed = pull_model(entry_from(tmp_path, fields), store, endpoint=hub.url)
    assert store.path_of(installed[0]).read_bytes() == big
    resumed = [r for m, _k, r in hub.requests if m == "GET"][first_attempts:]
    start = int(resumed[0].removeprefix("bytes=").split("-")[0])
    assert start >= 10_000_000  # picked up where the failed pull stopped (whole 10 MB chunks)


def test_pulling_an_installed_model_again_downloads_nothing(hub, hub_files, tmp_path):
    store = ModelStore(tmp_path / "models")
    entry = entry_from(tmp_path, vision_entry(hub_files))
    first = pull_model(entry, store, endpoint=hub.url)
    gets = len([m for m, _k, _r in hub.requests if m == "GET"])
    assert pull_model(entry, store, endpoint=hub.url) == first
    assert len([m for m, _k, _r in hub.requests if m == "GET"]) == gets
