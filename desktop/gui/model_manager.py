"""The model manager window: installed models, the catalog marked for this machine, and
a search of the Hugging Face hub (`hub_tab`).

Widgets only: it shows rows it is given and asks for work through signals; the app
wires those to `ModelJobs` and to the settings.

Signals:
    pullRequested(str): download the catalog entry with this name.
    importRequested(list): import these paths (files picked or dropped).
    removeRequested(str): remove the installed model with this name.
    defaultRequested(str, str): make installed model (name) the default for a role
        ("chat", "mmproj" or "whisper").
    verifyRequested(): check every installed model's sha256.
    cancelRequested(): stop the download or import in flight.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model_roles import role_name
from desktop.core.units import human_duration, human_size
from desktop.gui.hub_tab import HubSearchTab

__all__ = ["CatalogRow", "InstalledRow", "ModelManagerDialog"]

PREFERRED_SIZE = QSize(980, 560)
_FRAME = QSize(32, 48)  # room for the window manager's frame and title bar


@dataclass(frozen=True)
class InstalledRow:
    name: str
    role: str  # "chat", "mmproj", "whisper", "plumbing", "shard"
    size: int
    location: str
    paired_with: str
    problem: str  # '' when its check passed
    is_default: bool


@dataclass(frozen=True)
class CatalogRow:
    name: str
    title: str
    capabilities: str
    download_size: int
    memory_gb: float
    fit: str  # "fits", "tight", "too big"
    recommended: bool
    installed: bool
    license: str
    notes: str




class ModelManagerDialog(QDialog):
    pullRequested = Signal(str)
    importRequested = Signal(list)
    removeRequested = Signal(str)
    defaultRequested = Signal(str, str)
    verifyRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(_fitted(PREFERRED_SIZE, parent))
        self.setAcceptDrops(True)
        self.machine = QLabel("", self)
        self.machine.setWordWrap(True)
        self.machine.setMinimumHeight(2 * self.machine.fontMetrics().lineSpacing())  # its text never moves the tabs
        self.tabs = QTabWidget(self)

        self.installed = self._table(["Name", "Kind", "Size", "Check", "Location"])
        self.use_button = QPushButton("Use as default", self)
        self.remove_button = QPushButton("Remove", self)
        self.verify_button = QPushButton("Check all (sha256)", self)
        self.import_button = QPushButton("Import…", self)
        installed_tab = self._tab(self.installed, [self.use_button, self.remove_button, self.verify_button,
                                                   self.import_button],
                                  "Drop GGUF files, mmproj files or Whisper folders here to import them.")
        self.catalog = self._table(["Model", "Can", "Download", "Needs", "On this machine", "License"])
        self.download_button = QPushButton("Download", self)
        catalog_tab = self._tab(self.catalog, [self.download_button],
                                "Downloads come from Hugging Face and are checked (size, sha256, GGUF header) "
                                "before they are installed.")
        self.hub = HubSearchTab(self)
        self.tabs.addTab(installed_tab, "Installed")
        self.tabs.addTab(catalog_tab, "Catalog")
        self.tabs.addTab(self.hub, "Hugging Face")

        self.status = QLabel("", self)
        self.status.setAccessibleName("Model manager status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        # A fixed status line: a message or a progress bar coming and going never moves the tables.
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Download progress")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.machine)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Enter in a field or table must not press a button as well

        self.download_button.clicked.connect(self._download_selected)
        self.catalog.itemDoubleClicked.connect(lambda _item: self._download_selected())
        self.remove_button.clicked.connect(self._remove_selected)
        self.use_button.clicked.connect(self._use_selected)
        self.verify_button.clicked.connect(self.verifyRequested.emit)
        self.import_button.clicked.connect(self._pick_files)
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self._installed_rows: list[InstalledRow] = []
        self._catalog_rows: list[CatalogRow] = []

    # -- shown data ----------------------------------------------------------------------

    def show_machine(self, text: str) -> None:
        self.machine.setText(text)

    def show_installed(self, rows: list[InstalledRow]) -> None:
        self._installed_rows = rows
        self.installed.setRowCount(len(rows))
        for index, row in enumerate(rows):
            name = row.name + (f"  (+ {row.paired_with})" if row.paired_with else "")
            kind = ("chat model + vision" if row.paired_with else role_name(row.role)) + (
                " • default" if row.is_default else "")
            self._set_row(self.installed, index, [name, kind, human_size(row.size),
                                                  "ok" if not row.problem else row.problem, row.location])

    def show_catalog(self, rows: list[CatalogRow]) -> None:
        self._catalog_rows = rows
        self.catalog.setRowCount(len(rows))
        for index, row in enumerate(rows):
            fit = ("★ recommended, " if row.recommended else "") + row.fit + (" • installed" if row.installed else "")
            cells = [row.title, row.capabilities, human_size(row.download_size), f"{row.memory_gb:.1f} GB", fit,
                     row.license]
            self._set_row(self.catalog, index, cells, tooltip=row.notes)

    def show_started(self, description: str) -> None:
        self._say(description)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.show()
        self.cancel_button.show()
        self.download_button.setEnabled(False)
        self.hub.set_busy(True)

    def show_progress(self, filename: str, done: int, total: int, rate: float, eta: float) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done / total) if total else 0)
        speed = f", {human_size(rate)}/s" if rate > 0 else ""
        left = f", {human_duration(eta)} left" if eta >= 0 else ""
        self.progress.setFormat(f"{filename}: {human_size(done)} of {human_size(total)}{speed}{left}")

    def show_finished(self, message: str) -> None:
        self._idle()
        self._say(message)

    def show_failed(self, message: str) -> None:
        self._idle()
        self._say(message)

    def done(self, result: int) -> None:
        """Closed (Esc too): the main window gets the keyboard back, so its shortcuts work."""
        super().done(result)
        owner = self.parentWidget()
        if owner is not None:
            owner.window().activateWindow()
            owner.window().raise_()

    # -- drops and buttons ---------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            self.importRequested.emit(paths)
            event.acceptProposedAction()

    def _pick_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Import models", "", "GGUF models (*.gguf);;All files (*)")
        if paths:
            self.importRequested.emit(paths)

    def _download_selected(self) -> None:
        row = self.catalog.currentRow()
        if 0 <= row < len(self._catalog_rows):
            self.pullRequested.emit(self._catalog_rows[row].name)

    def _remove_selected(self) -> None:
        row = self.installed.currentRow()
        if 0 <= row < len(self._installed_rows):
            self.removeRequested.emit(self._installed_rows[row].name)

    def _use_selected(self) -> None:
        row = self.installed.currentRow()
        if 0 <= row < len(self._installed_rows):
            chosen = self._installed_rows[row]
            role = "chat" if chosen.role == "plumbing" else chosen.role
            self.defaultRequested.emit(role, chosen.name)

    # -- helpers -------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        self.status.setText(message)
        self.status.setToolTip(message)  # the line holds two lines of text; the tooltip all of it

    def _idle(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.download_button.setEnabled(True)
        self.hub.set_busy(False)

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(headers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    def _tab(self, table: QTableWidget, buttons: list[QPushButton], hint: str) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(table, 1)
        row = QHBoxLayout()
        note = QLabel(hint, page)
        note.setWordWrap(True)
        row.addWidget(note, 1)
        for button in buttons:
            row.addWidget(button)
        layout.addLayout(row)
        return page

    @staticmethod
    def _set_row(table: QTableWidget, index: int, cells: list[str], tooltip: str = "") -> None:
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if tooltip:
                item.setToolTip(tooltip)
            table.setItem(index, column, item)


def _fitted(preferred: QSize, parent: QWidget | None) -> QSize:
    """`preferred`, shrunk to the screen the parent window is on (an 800x600 screen
    must show the whole dialog, frame included)."""
    screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
    if screen is None:
        return preferred
    room = screen.availableGeometry().size() - _FRAME
    return preferred.boundedTo(room)
