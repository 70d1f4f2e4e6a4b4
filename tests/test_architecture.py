"""The house rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "desktop"


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "services").rglob("*.py")), ids=lambda p: p.name)
def test_services_use_qtcore_at_most(path):
    qt = {m for m in imported_modules(path) if m.split(".")[0] == "PySide6"}
    assert qt <= {"PySide6", "PySide6.QtCore"}, f"{path.name} imports {qt}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_files_stay_under_400_lines(path):
    assert len(path.read_text().splitlines()) <= 400


def test_every_test_file_is_collected():
    """A test file pytest would not collect is a test that silently never runs."""
    for path in (REPO / "tests").rglob("*.py"):
        if path.name in ("conftest.py", "tests_helpers.py"):
            continue
        assert path.name.startswith("test_"), f"{path} is not collected by pytest"


def test_layer_packages_declare_their_public_names():
    for layer in ("core", "services"):
        source = (PACKAGE / layer / "__init__.py").read_text()
        assert "__all__" in source
