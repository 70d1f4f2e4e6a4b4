"""A plain `pip wheel .` is a Hearth that works: the wheel carries the icon, the cues and
the model catalog, and an install of it alone (no checkout on the path) runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from desktop.core.paths import repository_dir

ROOT = repository_dir()


def test_the_wheel_carries_its_files_and_runs_from_a_fresh_venv(tmp_path):
    source = tmp_path / "source"  # a copy: building writes build/ and an .egg-info where it builds
    for folder in ("desktop", "assets", "models"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HEARTH_CATALOG")}
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, env=env,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("hearth_desktop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"desktop/assets/icon.png", "desktop/assets/sounds/ptt-start.wav", "desktop/assets/sounds/ptt-stop.wav",
            "desktop/catalog/catalog.toml", "desktop/cli/__init__.py"} <= names
    assert not any(name.endswith("screenshot.png") for name in names)  # the README's pictures stay out

    # A fresh venv with the wheel alone; its dependencies (llama-cpp-python's cached
    # build, PySide6, ...) are those of the test's environment, put on its path by a .pth
    # (whose own .pth files, the editable install among them, are not run).
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True, timeout=120)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                                str(wheel)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert installed.returncode == 0, installed.stderr
    env["HEARTH_HOME"] = str(tmp_path / "home")
    hearth = fresh / "bin" / "hearth"
    where = subprocess.run([str(python), "-c", "import desktop, desktop.core.paths as p; "
                            "print(desktop.__file__); print(p.assets_dir()); print(p.catalog_path())"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert where.returncode == 0, where.stderr
    package, assets, catalog = where.stdout.split()
    assert all(path.startswith(str(site)) for path in (package, assets, catalog)), where.stdout
    models = subprocess.run([str(hearth), "models"], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=300)
    assert models.returncode in (0, 1), models.stderr  # 1: no model installed in this empty home
    assert "gemma-3-4b" in models.stdout and "qwen3-8b" in models.stdout  # the catalog, from the wheel
    doctor = subprocess.run([str(hearth), "doctor"], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=300)
    assert "Traceback" not in doctor.stderr, doctor.stderr
    assert "cpu kernels" in doctor.stdout and "llama-cpp-python 0.3.36" in doctor.stdout, doctor.stdout
    assert doctor.returncode == 1 and "No models are installed" in doctor.stdout + doctor.stderr  # the empty home
