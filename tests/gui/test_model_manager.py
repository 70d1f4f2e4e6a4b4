"""The model manager window in the composed app: catalog with fit marks, download with
progress and cancel from a loopback hub, import by drop with pairing, defaults, removal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from tests_helpers import HubServer, write_test_catalog, write_tiny_language_model

from desktop.app import HearthApp
from desktop.core.paths import HearthPaths
from desktop.core.settings import load_settings
from desktop.services.models.projector_factory import write_test_projector

REPO = "hearth-test/tiny-vision-GGUF"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    model = write_tiny_language_model(tmp_path / "m.gguf", width=640).read_bytes()
    mmproj = write_test_projector(tmp_path / "p.gguf", text_width=640).read_bytes()
    big = write_tiny_language_model(tmp_path / "big.gguf", width=320_000).read_bytes()  # 40 MB
    server = HubServer({f"{REPO}/tiny-Q4_K_M.gguf": model, f"{REPO}/mmproj-model-f16.gguf": mmproj,
                        f"{REPO}/big-Q4_K_M.gguf": big})
    common = {"repo": REPO, "quant": "F16", "license": "mit", "context_length": 2048, "memory_gb": 0.5}
    write_test_catalog(tmp_path / "catalog.toml", [
        {"name": "tiny-vision", "title": "Tiny Vision", "file": "tiny-Q4_K_M.gguf", "size": len(model),
         "mmproj": "mmproj-model-f16.gguf", "mmproj_size": len(mmproj), "capabilities": ["chat", "vision"]} | common,
        {"name": "big-text", "title": "Big Text", "file": "big-Q4_K_M.gguf", "size": len(big),
         "capabilities": ["chat"]} | common,
        {"name": "giant", "title": "Giant", "file": "giant.gguf", "size": 2**40, "capabilities": ["chat"]}
        | common | {"memory_gb": 1100.0},
    ])
    monkeypatch.setenv("HEARTH_CATALOG", str(tmp_path / "catalog.toml"))
    yield server
    server.close()


@pytest.fixture
def hearth(qtbot, cli_home, hub):
    paths = HearthPaths.from_environment().ensure()
    app = HearthApp(paths, load_settings(paths.settings_file), hub_endpoint=hub.url)
    qtbot.addWidget(app.window)
    app.window.show()
    qtbot.waitUntil(lambda: "ctx" in app.window.model_label.text(), timeout=60_000)
    yield app
    app.shutdown()


def cell(table, row: int, column: int) -> str:
    return table.item(row, column).text()


def catalog_row(dialog, title: str) -> int:
    return next(r for r in range(dialog.catalog.rowCount()) if cell(dialog.catalog, r, 0) == title)


def test_catalog_download_progress_cancel(qtbot, hearth):
    qtbot.mouseClick(hearth.window.models_button, Qt.MouseButton.LeftButton)
    dialog, jobs = hearth.models_dialog, hearth.model_jobs
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: "CPU only" in dialog.machine.text())  # the worker looked at this computer
    qtbot.waitUntil(lambda: dialog.catalog.rowCount() == 3)  # ... and at the store
    assert "fits" in cell(dialog.catalog, catalog_row(dialog, "Tiny Vision"), 4)
    assert "too big" in cell(dialog.catalog, catalog_row(dialog, "Giant"), 4)
    assert "recommended" in cell(dialog.catalog, catalog_row(dialog, "Big Text"), 4) or \
        "recommended" in cell(dialog.catalog, catalog_row(dialog, "Tiny Vision"), 4)

    dialog.catalog.selectRow(catalog_row(dialog, "Tiny Vision"))
    reports = []
    jobs.progress.connect(lambda *args: reports.append(args))
    with qtbot.waitSignal(jobs.finished, timeout=60_000) as done:
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert "Tiny Vision is installed" in done.args[0]
    qtbot.waitUntil(lambda: dialog.installed.rowCount() == 2)
    names = {cell(dialog.installed, r, 0) for r in range(2)}
    assert "tiny-Q4_K_M.gguf  (+ tiny-vision-mmproj-model-f16.gguf)" in names
    assert "installed" in cell(dialog.catalog, catalog_row(dialog, "Tiny Vision"), 4)
    assert reports and reports[-1][1] == reports[-1][2]  # bytes done reached the total
    assert dialog.status.text().startswith("Tiny Vision is installed")
    dialog.grab().save(str(Path("build").resolve() / "models-window.png"))

    model_row = next(r for r in range(2) if cell(dialog.installed, r, 0).startswith("tiny-Q4_K_M"))
    assert cell(dialog.installed, model_row, 1) == "chat model + vision"
    dialog.installed.selectRow(model_row)
    with qtbot.waitSignal(jobs.finished, timeout=60_000) as removed:
        dialog.remove_button.click()
    assert removed.args[0] == "Removed tiny-Q4_K_M.gguf."
    qtbot.waitUntil(lambda: dialog.installed.rowCount() == 1)
    assert not (hearth.paths.models_dir / "tiny-Q4_K_M.gguf").exists()

    dialog.catalog.selectRow(catalog_row(dialog, "Big Text"))
    jobs.progress.connect(lambda *_args: dialog.cancel_button.click() if dialog.cancel_button.isVisible() else None)
    with qtbot.waitSignal(jobs.failed, timeout=60_000) as stopped:
        dialog.download_button.click()
    assert "cancelled" in stopped.args[0]
    assert not (hearth.paths.models_dir / "big-Q4_K_M.gguf").exists()
    assert dialog.progress.isHidden()


def drop(widget, paths: list[Path]) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def test_drop_import_use_as_default_and_remove(qtbot, hearth, starter, tmp_path):
    dialog = hearth.open_models()
    jobs = hearth.model_jobs
    wrong = write_test_projector(tmp_path / "mmproj-wrong.gguf", text_width=896)
    with qtbot.waitSignal(jobs.failed, timeout=60_000) as refused:
        drop(dialog, [starter.plumbing, wrong])
    assert "mmproj-wrong.gguf was not imported" in refused.args[0] and "896-wide" in refused.args[0]
    qtbot.waitUntil(lambda: dialog.installed.rowCount() == 1)
    assert cell(dialog.installed, 0, 0) == starter.plumbing.name

    dialog.installed.selectRow(0)
    with qtbot.waitSignal(hearth.session.engineReady, timeout=60_000) as ready:
        dialog.use_button.click()
    assert ready.args[0].model_name.startswith("Gemma")
    saved = json.loads(hearth.paths.settings_file.read_text())
    assert saved["model_path"] == str(hearth.paths.models_dir / starter.plumbing.name)
    qtbot.waitUntil(lambda: "default" in cell(dialog.installed, 0, 1))

    dialog.remove_button.click()
    assert "is in use" in dialog.status.text()
    assert (hearth.paths.models_dir / starter.plumbing.name).exists()

    with qtbot.waitSignal(jobs.finished, timeout=60_000) as checked:
        dialog.verify_button.click()
    assert "passed" in checked.args[0]


def test_the_machine_is_detected_on_the_jobs_worker(qtbot, tmp_path):
    """nvidia-smi can take a few hundred ms: the hardware is looked at on the worker and
    reported by a signal, never on the GUI thread."""
    import threading

    from desktop.core.hardware_fit import Hardware
    from desktop.services.models import hardware as hardware_module
    from desktop.services.models.model_jobs import ModelJobs

    threads: list[str] = []
    real = hardware_module.total_ram_bytes

    def recording_total_ram_bytes() -> int:
        threads.append(threading.current_thread().name)
        return real()

    jobs = ModelJobs(tmp_path / "models")
    try:
        hardware_module.total_ram_bytes = recording_total_ram_bytes
        with qtbot.waitSignal(jobs.machineDetected, timeout=30_000) as blocker:
            jobs.detect_machine()
    finally:
        hardware_module.total_ram_bytes = real
        jobs.shutdown()
    found = blocker.args[0]
    assert isinstance(found, Hardware) and found.ram_bytes > 2**30 and found.backend == "CPU"
    assert threads == ["hearth-model-jobs"]


def test_the_hugging_face_tab_searches_and_downloads_any_gguf(qtbot, hearth, hub):
    """Typed and searched with the keyboard; the results list each file with its fit and
    projector; the chosen one installs paired, like a catalog model. A hub that is down
    is one sentence, and the tab still works afterwards."""
    dialog = hearth.open_models()
    qtbot.waitUntil(lambda: "CPU only" in dialog.machine.text())
    dialog.tabs.setCurrentWidget(dialog.hub)
    tab = dialog.hub
    hub.down = True
    tab.query.setFocus()
    qtbot.keyClicks(tab.query, "tiny vision")
    qtbot.keyClick(tab.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "not available right now" in tab.note.text(), timeout=30_000)
    assert tab.search_button.isEnabled() and tab.results.rowCount() == 0

    hub.down, hub.slow_s = False, 2.0  # a slow hub: the search can be stopped, and reports nothing after
    qtbot.keyClick(tab.query, Qt.Key.Key_Return)
    assert tab.search_button.text() == "Stop"
    qtbot.mouseClick(tab.search_button, Qt.MouseButton.LeftButton)
    assert tab.note.text() == "Search stopped." and tab.search_button.text() == "Search"
    qtbot.wait(4_000)  # the request in flight ends; its results are not shown
    assert tab.note.text() == "Search stopped." and tab.results.rowCount() == 0
    hub.slow_s = 0.0
    qtbot.keyClick(tab.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.results.rowCount() == 2, timeout=30_000)
    files = [cell(tab.results, r, 2) for r in range(2)]
    assert files == ["tiny-Q4_K_M.gguf", "big-Q4_K_M.gguf"]  # smallest first
    assert [cell(tab.results, r, 1) for r in range(2)] == ["★ Q4_K_M", "Q4_K_M"]  # the pick: the one that fits best
    assert [cell(tab.results, r, 0) for r in range(2)] == [REPO, ""]  # the repository once per group
    assert tab.results.horizontalHeaderItem(3).text() == "Size"
    assert cell(tab.results, 0, 4) == "fits" and cell(tab.results, 0, 5) == "projector in repo"
    assert not tab.download_button.isEnabled()  # nothing chosen yet
    tab.results.selectRow(0)
    with qtbot.waitSignal(hearth.model_jobs.finished, timeout=60_000) as done:
        qtbot.mouseClick(tab.download_button, Qt.MouseButton.LeftButton)
    assert f"{REPO} · Q4_K_M is installed" in done.args[0]
    models = hearth.paths.models_dir
    manifest = json.loads((models / "installed.json").read_text())["models"]
    chat = next(m for m in manifest if m["name"] == "tiny-Q4_K_M.gguf")
    assert chat["mmproj"] == "tiny-q4_k_m-mmproj-model-f16.gguf" and (models / chat["mmproj"]).is_file()
    qtbot.waitUntil(lambda: cell(tab.results, 0, 4) == "installed")  # marked, and not offered again
    assert tab.results.currentRow() == 0 and not tab.download_button.isEnabled()
