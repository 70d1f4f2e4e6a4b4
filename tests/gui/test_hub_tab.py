"""The Hugging Face tab as a new person meets it: with the keyboard, at 800x600, while a
search runs or fails, after an install; and the Models dialog around it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QPushButton

from desktop.app.model_rows import ManagerView
from desktop.app.wiring import connect_hub_search
from desktop.core.catalog import Catalog
from desktop.core.hardware_fit import Hardware
from desktop.core.hub_listing import HubRepo, parse_tree
from desktop.gui.hub_tab import HubRow
from desktop.gui.model_manager import ModelManagerDialog
from desktop.services.models.model_store import InstalledModel, ModelCheck

REPO = "bartowski/Qwen2.5-0.5B-Instruct-GGUF"
GIB = 2**30


def gguf(path: str, size: int) -> dict:
    return {"type": "file", "path": path, "size": 134, "lfs": {"oid": "ab" * 32, "size": size}}


def rows(count: int = 3, repo: str = REPO) -> list[HubRow]:
    return [HubRow(repo, f"Q{i + 4}_K_M", f"Qwen2.5-0.5B-Instruct-Q{i + 4}_K_M.gguf", (i + 1) * 2**20, "fits",
                   "mmproj-f16.gguf", 10) for i in range(count)]


@pytest.fixture
def window(qtbot):
    main = QMainWindow()
    main.resize(800, 600)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


@pytest.fixture
def dialog(qtbot, window):
    models = ModelManagerDialog(window)
    qtbot.addWidget(models)
    models.tabs.setCurrentWidget(models.hub)
    models.show()
    qtbot.waitExposed(models)
    models.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is models)
    return models


class FakeSearcher(QObject):
    found = Signal(str, list)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def search(self, query: str) -> None:
        self.asked.append(query)

    def cancel(self) -> None:
        self.asked.append("(stopped)")


class FakeJobs:
    def __init__(self) -> None:
        self.pulled: list[str] = []

    def pull(self, entry) -> None:
        self.pulled.append(entry.name)


@pytest.fixture
def view(dialog):
    return ManagerView(dialog, Catalog(()), in_use=set)


@pytest.fixture
def searcher(dialog, view):
    """The tab wired as the app wires it, to a searcher and jobs that only record."""
    fake = FakeSearcher()
    connect_hub_search(dialog, fake, FakeJobs(), view)
    return fake


def texts(table, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def test_tab_leaves_the_results_for_download_and_enter_downloads_the_row(qtbot, dialog):
    tab = dialog.hub
    tab.show_results("qwen", rows())
    pulls, searches = [], []
    tab.pullRequested.connect(pulls.append)
    tab.searchRequested.connect(searches.append)
    assert QApplication.focusWidget() is tab.query  # the tab opened for typing
    qtbot.keyClick(tab.query, Qt.Key.Key_Tab)
    qtbot.keyClick(tab.search_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is tab.results
    assert tab.results.selectionModel().selectedRows()[0].row() == 0  # focus chose the first row
    qtbot.keyClick(tab.results, Qt.Key.Key_Down)
    assert tab.results.currentRow() == 1 and tab.download_button.isEnabled()
    qtbot.keyClick(tab.results, Qt.Key.Key_Return)
    assert pulls == [1] and searches == []  # that row, once; no button pressed as well
    qtbot.keyClick(tab.results, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is tab.download_button  # not the next cell
    rect = tab.results.visualRect(tab.results.model().index(2, 2))
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert pulls == [1, 2]


def test_enter_in_the_search_field_searches_once_and_presses_no_button(qtbot, dialog):
    tab = dialog.hub
    tab.show_results("qwen", rows())
    tab.results.selectRow(0)
    pulls, searches = [], []
    tab.pullRequested.connect(pulls.append)
    tab.searchRequested.connect(searches.append)
    tab.query.setText("llama")
    tab.query.setFocus()
    qtbot.keyClick(tab.query, Qt.Key.Key_Return)
    assert searches == ["llama"] and pulls == []


def test_choosing_the_tab_puts_the_cursor_in_the_search_field(qtbot, dialog):
    dialog.tabs.setCurrentIndex(0)
    dialog.tabs.tabBar().setFocus()  # as after Tab-ing to the tabs
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.tabs.tabBar())
    qtbot.mouseClick(dialog.tabs.tabBar(), Qt.MouseButton.LeftButton,
                     pos=dialog.tabs.tabBar().tabRect(dialog.tabs.indexOf(dialog.hub)).center())
    assert dialog.tabs.currentWidget() is dialog.hub
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.hub.query)


def test_a_new_search_clears_the_old_results_and_a_failed_one_leaves_nothing_to_download(dialog, searcher):
    tab = dialog.hub
    searcher.found.emit("qwen", [(HubRepo(REPO, 10, 1, "mit"), parse_tree(REPO, [gguf("q-Q4_K_M.gguf", 5)]))])
    tab.results.selectRow(0)
    assert tab.download_button.isEnabled()
    tab.query.setText("llama")
    tab.search_button.click()
    assert tab.results.rowCount() == 0 and not tab.download_button.isEnabled()
    assert "Searching" in tab.note.text() and searcher.asked == ["llama"]
    searcher.failed.emit("llama", "The hub did not answer in time.")
    assert tab.results.rowCount() == 0 and not tab.download_button.isEnabled()
    assert tab.note.text() == "The hub did not answer in time." and tab.search_button.isEnabled()
    tab.show_results("qwen", rows())  # results that came before a failure, however it happened
    tab.show_failed("The hub is not available right now.")
    assert tab.results.rowCount() == 0 and not tab.download_button.isEnabled()


def test_results_read_at_800_px_smallest_first_the_pick_starred_every_cell_explained(dialog, view):
    tab = dialog.hub
    view.show_machine(Hardware(ram_bytes=24 * GIB, backend="CPU", vram_bytes=None))
    listing = parse_tree(REPO, [gguf("Qwen-Q8_0.gguf", 8 * GIB), gguf("Qwen-F16.gguf", 15 * GIB),
                                gguf("Qwen-Q4_K_M.gguf", 4 * GIB), gguf("Qwen-Q2_K.gguf", 3 * GIB),
                                gguf("mmproj-Qwen-f16.gguf", GIB // 2)])
    view.show_hub("qwen", [(HubRepo(REPO, 10, 1, "mit"), listing)])
    headers = [tab.results.horizontalHeaderItem(c).text() for c in range(tab.results.columnCount())]
    assert headers == ["Repository", "Quant", "File", "Size", "Fit", "Vision"]
    assert texts(tab.results, 1) == ["Q2_K", "★ Q4_K_M", "Q8_0", "F16"]
    assert texts(tab.results, 0) == [REPO, "", "", ""]  # once per repository
    assert texts(tab.results, 4) == ["fits", "fits", "fits", "tight"]
    assert set(texts(tab.results, 5)) == {"projector in repo"}  # what is true before the download
    for r in range(4):
        for c in range(6):
            assert tab.results.item(r, c).toolTip()
    assert REPO in tab.results.item(3, 0).toolTip()
    assert "Q4_K_M" in tab.results.item(1, 1).toolTip() and "Recommended" in tab.results.item(1, 1).toolTip()
    assert "★" in tab.note.text()
    dialog.resize(768, 552)  # what fits an 800x600 screen
    QApplication.processEvents()
    file_column = tab.results.columnWidth(2)
    assert file_column >= tab.results.fontMetrics().horizontalAdvance("Qwen-Q4_K_M.gguf")


def test_an_installed_file_is_marked_and_not_offered_again(qtbot, dialog, view, tmp_path):
    tab = dialog.hub
    listing = parse_tree(REPO, [gguf("Qwen-Q4_K_M.gguf", 5), gguf("Qwen-Q8_0.gguf", 9)])
    view.show_hub("qwen", [(HubRepo(REPO, 10, 1, "mit"), listing)])
    tab.results.selectRow(0)
    pulls = []
    tab.pullRequested.connect(pulls.append)
    model = InstalledModel("Qwen-Q4_K_M.gguf", "chat", 5, "", 0, f"hub {REPO}", catalog="qwen-q4_k_m")
    view.show_installed([ModelCheck(model, tmp_path / model.name, True, "")])
    assert texts(tab.results, 4)[0] == "installed" and tab.results.currentRow() == 0
    assert not tab.download_button.isEnabled()
    qtbot.keyClick(tab.results, Qt.Key.Key_Return)
    assert pulls == []
    tab.results.selectRow(1)
    assert tab.download_button.isEnabled()


def test_repos_that_match_without_gguf_files_are_said_so(dialog, view):
    view.show_hub("safetensors", [(HubRepo("o/r", 1, 0, ""), parse_tree("o/r", [gguf("mmproj-f16.gguf", 5)]))])
    assert dialog.hub.note.text() == ("1 repository on Hugging Face matches “safetensors”, "
                                      "but none has GGUF model files.")
    view.show_hub("nothing", [])
    assert dialog.hub.note.text() == "No GGUF models on Hugging Face match “nothing”."


def test_the_dialog_fits_an_800x600_screen_with_nothing_clipped(qtbot, dialog, window):
    room = window.screen().availableGeometry()
    assert dialog.frameGeometry().width() <= room.width() and dialog.frameGeometry().height() <= room.height()
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        for button in dialog.tabs.currentWidget().findChildren(QPushButton):
            corner = button.mapTo(dialog, QPoint(button.width(), button.height()))
            assert dialog.rect().contains(corner - QPoint(1, 1)), button.text()
            assert button.width() >= button.sizeHint().width(), button.text()


def test_messages_and_progress_never_move_the_tables(qtbot, dialog):
    before = dialog.tabs.geometry()
    dialog.show_started("Downloading " + "a-rather-long-model-name " * 6)
    QApplication.processEvents()
    assert dialog.tabs.geometry() == before
    dialog.show_finished("bartowski/Qwen2.5-0.5B-Instruct-GGUF · Q4_K_M is installed (Qwen2.5-0.5B-Instruct-"
                         "Q4_K_M.gguf, qwen2.5-0.5b-instruct-q4_k_m-mmproj-Qwen2.5-0.5B-f16.gguf).")
    QApplication.processEvents()
    assert dialog.tabs.geometry() == before and dialog.status.toolTip().endswith("f16.gguf).")


def test_esc_gives_the_keyboard_back_to_the_main_window(qtbot, dialog, window):
    qtbot.keyClick(dialog.hub.query, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

