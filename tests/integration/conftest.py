"""Fixtures only the integration tests use: the real `hearth` command, and a real
`hearth serve` for the session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests_helpers import ProcessLines, write_settings_home


@pytest.fixture
def run_hearth(isolated_home: Path):
    """Run the real `hearth` console script in a subprocess; returns CompletedProcess."""
    hearth = Path(sys.executable).with_name("hearth")

    def run(*args: str, timeout: float = 300, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ, HEARTH_HOME=str(isolated_home))
        return subprocess.run(
            [str(hearth), *args], capture_output=True, text=True, timeout=timeout, env=env,
            input=stdin,
        )

    return run


@dataclass(frozen=True)
class ServedHearth:
    url: str  # base URL, ending in /v1
    api_key: str
    stderr: ProcessLines


@pytest.fixture(scope="session")
def served_hearth(tmp_path_factory: pytest.TempPathFactory, starter) -> Iterator[ServedHearth]:
    """A real `hearth serve` on a free loopback port, with an API key, for the session."""
    home = write_settings_home(tmp_path_factory.mktemp("served-home"), starter)
    key = "sk-hearth-test"
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hearth")), "serve", "--port", "0"],
        env=dict(os.environ, HEARTH_HOME=str(home), HEARTH_API_KEY=key), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    out, err = ProcessLines(process.stdout), ProcessLines(process.stderr)
    try:
        url = out.wait_for("Serving").split(" on ")[1].split()[0]
        yield ServedHearth(url=url, api_key=key, stderr=err)
    finally:
        process.terminate()
        process.wait(30)
        out.close(process.stdout)
        err.close(process.stderr)
