"""The one rule for which engine answers and which files it loads (window and CLI alike):
each setting and each command-line override, changed one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_helpers import write_tiny_language_model

from desktop.core.errors import ModelFileError
from desktop.core.settings import Settings
from desktop.services.models.engine_choice import EngineRequest, choose_engine
from desktop.services.models.model_store import ModelStore
from desktop.services.models.projector_factory import write_test_projector

URL = "http://127.0.0.1:9/v1"


@pytest.fixture()
def store(tmp_path) -> ModelStore:
    """Two chat models of different widths, each with the projector that pairs with it."""
    store = ModelStore(tmp_path)
    for name, width in (("a.gguf", 640), ("b.gguf", 896)):
        write_tiny_language_model(tmp_path / name, width=width)
        store.record(store.describe(name, "chat", "test"))
        write_test_projector(tmp_path / f"proj-{width}.gguf", text_width=width)
        store.record(store.describe(f"proj-{width}.gguf", "mmproj", "test"))
    return store


def test_the_installed_model_and_its_pairing_projector_by_default(store):
    choice = choose_engine(Settings(), store, environ={})
    assert choice.remote is None and choice.local is not None
    assert (choice.local.model_path.name, choice.local.mmproj_path.name) == ("a.gguf", "proj-640.gguf")
    assert (choice.local.n_ctx, choice.local.gpu_offload) == (Settings().n_ctx, True)
    assert choice.files() == {store.models_dir / "a.gguf", store.models_dir / "proj-640.gguf"}


def test_each_local_setting_changes_the_choice(store):
    base = choose_engine(Settings(), store, environ={})
    other_model = choose_engine(Settings(model_path=str(store.models_dir / "b.gguf")), store, environ={})
    assert other_model != base
    assert other_model.local.mmproj_path.name == "proj-896.gguf"  # the projector that pairs with it
    configured = choose_engine(Settings(mmproj_path="/p/own.gguf"), store, environ={})
    assert configured.local.mmproj_path == Path("/p/own.gguf")
    assert choose_engine(Settings(n_ctx=8192), store, environ={}).local.n_ctx == 8192
    assert choose_engine(Settings(gpu_offload=False), store, environ={}).local.gpu_offload is False
    assert choose_engine(Settings(temperature=0.1), store, environ={}) == base  # sampling needs no new engine


def test_each_remote_setting_changes_the_choice(store):
    remote = choose_engine(Settings(remote_url=URL), store, environ={})
    assert remote.local is None and remote.remote.base_url == URL and remote.files() == set()
    assert choose_engine(Settings(remote_url="http://127.0.0.1:10/v1"), store, environ={}) != remote
    named = choose_engine(Settings(remote_url=URL, remote_model="llama"), store, environ={})
    assert named != remote and named.remote.model == "llama"
    keyed = choose_engine(Settings(remote_url=URL, remote_api_key="k1"), store, environ={})
    assert keyed != remote and keyed.remote.api_key == "k1"
    from_env = choose_engine(Settings(remote_url=URL, remote_api_key="k1"), store,
                             environ={"HEARTH_REMOTE_API_KEY": "k2"})
    assert from_env.remote.api_key == "k2"


def test_command_line_overrides(store):
    settings = Settings(remote_url=URL, remote_model="llama", mmproj_path="/p/own.gguf")
    local_model = choose_engine(settings, store, EngineRequest(model=str(store.models_dir / "b.gguf")), environ={})
    assert local_model.remote is None  # --model means this computer's llama.cpp
    assert local_model.local.mmproj_path.name == "proj-896.gguf"  # not the projector set for another model
    other_remote = choose_engine(settings, store, EngineRequest(remote_url="http://10.0.0.2/v1"), environ={})
    assert other_remote.remote.base_url == "http://10.0.0.2/v1" and other_remote.remote.model is None
    assert choose_engine(settings, store, EngineRequest(local=True), environ={}).local.model_path.name == "a.gguf"
    text_only = choose_engine(Settings(), store, EngineRequest(vision=False), environ={})
    assert text_only.local.mmproj_path is None
    flagged = choose_engine(Settings(), store, EngineRequest(mmproj="/p/x.gguf", n_ctx=1024), environ={})
    assert (flagged.local.mmproj_path, flagged.local.n_ctx) == (Path("/p/x.gguf"), 1024)


def test_no_model_and_no_remote_engine_says_what_to_do(tmp_path):
    choice = choose_engine(Settings(), ModelStore(tmp_path), environ={})
    assert choice.local is None and choice.remote is None and "install-starter" in choice.problem
    with pytest.raises(ModelFileError, match="No chat model"):
        choice.make()
