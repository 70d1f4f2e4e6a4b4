"""The command line keeps Hearth's files private: an older install is fixed on the first
run (and the log says so), new files are owner-only whatever the umask, and `hearth
doctor` reports it (issue 14). The real `hearth` console script."""

from __future__ import annotations

import stat

from tests_helpers import write_tiny_language_model


def mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_an_older_install_is_fixed_and_doctor_says_it_is_private(run_hearth, isolated_home):
    config = isolated_home / "config"
    config.mkdir(parents=True, mode=0o755)
    (config / "settings.json").write_text('{"remote_api_key": "sk-secret"}')
    (config / "settings.json").chmod(0o644)
    result = run_hearth("doctor")
    assert "owner-only" in result.stderr and "other users could read them" in result.stderr
    assert mode(config) == 0o700 and mode(config / "settings.json") == 0o600
    assert "privacy      settings, history, models and caches are owner-only" in result.stdout
    again = run_hearth("doctor")
    assert "other users could read them" not in again.stderr


def test_files_hearth_creates_are_owner_only_under_a_wide_umask(run_hearth, isolated_home, tmp_path):
    model = write_tiny_language_model(tmp_path / "mine-q4.gguf", width=640)
    model.chmod(0o644)
    result = run_hearth("models", "import", str(model))
    assert result.returncode == 0, result.stderr
    models = isolated_home / "data" / "models"
    created = [p for p in isolated_home.rglob("*") if not p.is_symlink()]
    assert models / "mine-q4.gguf" in created
    assert [p for p in created if mode(p) & 0o077] == []
