"""The model manager's "Hugging Face" tab: search the hub for GGUF models and download
one, checked and paired like a catalog model.

Widgets only: the app searches (off the GUI thread) and gives back rows.

Signals:
    searchRequested(str): search the hub for this text.
    pullRequested(int): download the result in this row.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.units import human_size

__all__ = ["HubRow", "HubSearchTab"]


@dataclass(frozen=True)
class HubRow:
    repo_id: str
    quant: str
    file: str
    size: int  # with its projector
    fit: str  # "fits", "tight", "too big"
    vision: bool  # a projector comes with it
    downloads: int


class HubSearchTab(QWidget):
    searchRequested = Signal(str)
    pullRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("Search GGUF models on Hugging Face, e.g. “qwen3” or “llama 3.2”")
        self.query.setAccessibleName("Search Hugging Face")
        self.query.setClearButtonEnabled(True)
        self.search_button = QPushButton("Search", self)
        self.results = QTableWidget(0, 5, self)
        self.results.setHorizontalHeaderLabels(["Repository", "File", "Download", "On this machine", "Vision"])
        self.results.setAccessibleName("Hugging Face results")
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().hide()
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.note = QLabel("Any GGUF repository: its files by quantisation, with the fit for this machine. "
                           "Downloads are checked (size, sha256, GGUF header, projector pairing) before "
                           "they are installed.", self)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.download_button = QPushButton("Download", self)
        self.download_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        top.addWidget(self.search_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.results, 1)
        layout.addLayout(bottom)
        self.query.returnPressed.connect(self._search)
        self.search_button.clicked.connect(self._search)
        self.download_button.clicked.connect(self._download)
        self.results.itemDoubleClicked.connect(lambda _item: self._download())
        self.results.itemSelectionChanged.connect(self._selection_changed)
        self._rows: list[HubRow] = []
        self._busy = False

    def show_searching(self, query: str) -> None:
        self.note.setText(f"Searching Hugging Face for “{query}”…")
        self.search_button.setEnabled(False)

    def show_results(self, query: str, rows: list[HubRow]) -> None:
        self._rows = rows
        self.search_button.setEnabled(True)
        self.results.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = [row.repo_id, f"{row.quant} · {row.file}", human_size(row.size), row.fit,
                     "yes" if row.vision else ""]
            for column, text in enumerate(cells):
                self.results.setItem(index, column, QTableWidgetItem(text))
        repos = len({row.repo_id for row in rows})
        files = f"{len(rows)} file" + ("s" if len(rows) != 1 else "")
        where = f"{repos} repositor" + ("ies" if repos != 1 else "y")
        self.note.setText(f"{files} in {where} for “{query}”." if rows else
                          f"No GGUF models on Hugging Face match “{query}”.")
        self._selection_changed()

    def show_failed(self, message: str) -> None:
        self.search_button.setEnabled(True)
        self.note.setText(message)

    def set_busy(self, busy: bool) -> None:
        """While a download runs, another cannot start."""
        self._busy = busy
        self._selection_changed()

    def _search(self) -> None:
        text = " ".join(self.query.text().split())
        if text:
            self.searchRequested.emit(text)

    def _download(self) -> None:
        row = self.results.currentRow()
        if 0 <= row < len(self._rows) and not self._busy:
            self.pullRequested.emit(row)

    def _selection_changed(self) -> None:
        self.download_button.setEnabled(not self._busy and 0 <= self.results.currentRow() < len(self._rows))
