"""Hearth's folders are the person's alone: 0700 folders, 0600 files, whatever the umask,
and an older install is tightened once, with a line in the log (issue 14)."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from desktop.core.paths import HearthPaths
from desktop.core.private_files import exposed, make_private_file, tighten, write_private_text
from desktop.core.settings import Settings, load_settings, save_settings


def mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def wide_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def older_install(home):
    """What Hearth made before this rule, under umask 022."""
    for folder in ("config", "data", "data/models", "cache"):
        (home / folder).mkdir(parents=True, exist_ok=True)
        (home / folder).chmod(0o755)
    (home / "config" / "settings.json").write_text('{"remote_api_key": "sk-secret"}')
    (home / "data" / "history.sqlite3").write_bytes(b"")
    (home / "data" / "models" / "model.gguf").write_bytes(b"GGUF")
    for file in home.rglob("*"):
        if file.is_file():
            file.chmod(0o644)


def test_new_folders_are_owner_only(tmp_path, wide_umask):
    paths = HearthPaths.from_environment({"HEARTH_HOME": str(tmp_path / "home")}).ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.models_dir):
        assert mode(folder) == 0o700, folder


def test_an_older_install_is_made_private_once_and_the_log_says_so(tmp_path, wide_umask, caplog):
    home = tmp_path / "home"
    older_install(home)
    paths = HearthPaths.from_environment({"HEARTH_HOME": str(home)})
    assert len(exposed(paths.private_roots)) == 7
    with caplog.at_level(logging.WARNING):
        paths.ensure()
    assert "made 7 folder(s) and file(s) owner-only" in caplog.text
    assert exposed(paths.private_roots) == []
    assert mode(home / "config" / "settings.json") == 0o600
    assert mode(home / "data" / "models" / "model.gguf") == 0o600
    assert mode(home / "data" / "models") == 0o700
    caplog.clear()
    paths.ensure()
    assert "owner-only" not in caplog.text  # once


def test_tightening_never_follows_links_out_of_hearths_folders(tmp_path, wide_umask):
    outside = tmp_path / "shared.gguf"
    outside.write_bytes(b"GGUF")
    outside.chmod(0o644)
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    (root / "link.gguf").symlink_to(outside)
    assert tighten([root]) == []
    assert mode(outside) == 0o644


def test_settings_with_keys_are_written_owner_only(tmp_path, wide_umask):
    path = tmp_path / "config" / "settings.json"
    path.parent.mkdir()
    (path.parent / "settings.json.part").write_text("left over")  # from an interrupted older save
    (path.parent / "settings.json.part").chmod(0o644)
    save_settings(path, Settings().updated(remote_api_key="sk-secret"))
    assert mode(path) == 0o600
    assert load_settings(path).remote_api_key == "sk-secret"
    assert not (path.parent / "settings.json.part").exists()


def test_private_writes_refuse_to_follow_a_planted_link(tmp_path, wide_umask):
    target = tmp_path / "elsewhere.txt"
    target.write_text("someone else's")
    (tmp_path / "notes.json.part").symlink_to(target)
    with pytest.raises(OSError):
        write_private_text(tmp_path / "notes.json", "mine")
    assert target.read_text() == "someone else's"
    (tmp_path / "db").symlink_to(target)
    with pytest.raises(OSError):
        make_private_file(tmp_path / "db")
