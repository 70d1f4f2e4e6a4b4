from __future__ import annotations

import json

from desktop.core.paths import HearthPaths
from desktop.core.settings import Settings, load_settings, save_settings


def test_hearth_home_moves_everything(tmp_path):
    paths = HearthPaths.from_environment({"HEARTH_HOME": str(tmp_path)}).ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.models_dir):
        assert folder.is_dir() and tmp_path in folder.parents
    assert paths.settings_file.parent == paths.config_dir


def test_default_paths_use_platform_dirs(tmp_path):
    paths = HearthPaths.from_environment({})
    assert "Hearth" in str(paths.data_dir)


def test_settings_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(path, Settings().updated(temperature=0.1, model_path="/m.gguf"))
    loaded = load_settings(path)
    assert loaded.temperature == 0.1 and loaded.model_path == "/m.gguf"


def test_damaged_settings_are_kept_aside_not_lost(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert load_settings(path) == Settings()
    assert (tmp_path / "settings.json.bad").read_text() == "{not json"
    assert "damaged" in caplog.text


def test_unknown_keys_are_ignored(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"temperature": 0.3, "from_the_future": 1}))
    assert load_settings(path).temperature == 0.3


def test_quick_asks_default_key_is_option_space_on_macos_and_ctrl_alt_space_elsewhere(monkeypatch):
    """Qt's "Ctrl" is ⌘ on macOS, so Ctrl+Alt+Space there would be ⌘⌥Space (the Finder's)."""
    monkeypatch.setattr("sys.platform", "darwin")
    assert Settings().quick_ask_key == "Alt+Space"
    for platform in ("linux", "win32"):
        monkeypatch.setattr("sys.platform", platform)
        assert Settings().quick_ask_key == "Ctrl+Alt+Space"
