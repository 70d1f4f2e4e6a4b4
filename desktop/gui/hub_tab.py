"""The model manager's "Hugging Face" tab: search the hub for GGUF models and download
one, checked and paired like a catalog model.

Widgets only: the app searches (off the GUI thread) and gives back rows.

Signals:
    searchRequested(str): search the hub for this text.
    stopRequested(): the search in flight should stop (its button reads Stop meanwhile).
    pullRequested(int): download the result in this row (an index into the rows shown).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QShowEvent
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

from desktop.core.hub_listing import RECOMMENDATION_RULE
from desktop.core.units import human_size

__all__ = ["COLUMNS", "HubRow", "HubSearchTab"]

COLUMNS = ("Repository", "Quant", "File", "Size", "Fit", "Vision")
_HEADER_TIPS = ("The Hugging Face repository, named once above its files", "The quantisation: smaller is rougher",
                "The GGUF file", "What the download weighs, with the projector", "How it fits this machine",
                "Whether a projector (for images) comes with it")
_FITS = {
    "fits": "Fits: it runs in this machine's fast memory.",
    "tight": "Tight: it runs only by spilling into RAM or taking most of it (slow).",
    "too big": "Too big: this machine does not have the memory for it.",
    "installed": "Installed: it is in the Installed tab already.",
}


@dataclass(frozen=True)
class HubRow:
    repo_id: str
    quant: str
    file: str
    size: int  # with its projector
    fit: str  # "fits", "tight", "too big" (or "not known yet")
    projector: str  # the repo's projector that comes with it; "" when it has none
    downloads: int
    recommended: bool = False  # Hearth's pick in its repo for this machine
    installed: bool = False  # its model file is in the models folder already


class _Results(QTableWidget):
    """Rows, not cells: Tab leaves the table, Enter chooses the row (and is not passed
    on to the dialog's default button), focus arriving with nothing selected selects
    the first row so Down goes to the second."""

    chosen = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("HubResults")
        self.setHorizontalHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(_HEADER_TIPS):
            self.horizontalHeaderItem(column).setToolTip(tip)
        self.setAccessibleName("Hugging Face results")
        self.setTabKeyNavigation(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the quantisation at a name's end
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for stretched in (COLUMNS.index("Repository"), COLUMNS.index("File")):
            header.setSectionResizeMode(stretched, QHeaderView.ResizeMode.Stretch)
        self.itemDoubleClicked.connect(lambda _item: self.chosen.emit())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.chosen.emit()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.rowCount() and not self.selectionModel().hasSelection():
            self.selectRow(0)
        super().focusInEvent(event)


class HubSearchTab(QWidget):
    searchRequested = Signal(str)
    stopRequested = Signal()
    pullRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("Search GGUF models on Hugging Face, e.g. “qwen3” or “llama 3.2”")
        self.query.setAccessibleName("Search Hugging Face")
        self.query.setClearButtonEnabled(True)
        self.search_button = QPushButton("Search", self)
        self.results = _Results(self)
        self.note = QLabel("Any GGUF repository: its files by quantisation, with the fit for this machine. "
                           "Downloads are checked (size, sha256, GGUF header, projector pairing) before "
                           "they are installed.", self)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setMinimumHeight(2 * self.note.fontMetrics().lineSpacing())  # its sentences never move the table
        self.download_button = QPushButton("Download", self)
        self.download_button.setEnabled(False)
        for button in (self.search_button, self.download_button):
            button.setAutoDefault(False)  # Enter belongs to the field or the table, never to a button
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
        self.search_button.clicked.connect(self._search_or_stop)
        self.download_button.clicked.connect(self._download)
        self.results.chosen.connect(self._download)
        self.results.itemSelectionChanged.connect(self._selection_changed)
        self._rows: list[HubRow] = []
        self._busy = False
        self._searching = False

    def showEvent(self, event: QShowEvent) -> None:
        """Opening the tab is for searching: typing goes to the field."""
        super().showEvent(event)
        self.query.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_searching(self, query: str) -> None:
        """Old results go at once: they are not what was asked for now."""
        self._fill([])
        self.note.setText(f"Searching Hugging Face for “{query}”…")
        self._set_searching(True)

    def show_results(self, query: str, rows: list[HubRow], *, without_gguf: int = 0) -> None:
        """`without_gguf`: repos that matched but offer no GGUF model file."""
        self._set_searching(False)
        self._fill(rows)
        self.note.setText(_summary(query, rows, without_gguf))

    def show_failed(self, message: str) -> None:
        self._set_searching(False)
        self._fill([])
        self.note.setText(message)

    def set_busy(self, busy: bool) -> None:
        """While a download runs, another cannot start."""
        self._busy = busy
        self._selection_changed()

    def _fill(self, rows: list[HubRow]) -> None:
        """Draws `rows`, keeping the chosen file chosen when it is still there (the rows
        are drawn again after an install, to mark it)."""
        current = self.results.currentRow()
        was = self._rows[current] if 0 <= current < len(self._rows) else None
        self._rows = rows
        self.results.clearSelection()
        self.results.setRowCount(len(rows))
        for index, row in enumerate(rows):
            first = index == 0 or rows[index - 1].repo_id != row.repo_id
            for column, (text, tip) in enumerate(_cells(row, first)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.results.setItem(index, column, item)
        again = next((i for i, r in enumerate(rows) if was and (r.repo_id, r.file) == (was.repo_id, was.file)), -1)
        if again >= 0:
            self.results.selectRow(again)
        else:
            self.results.setCurrentCell(-1, -1)
        self._selection_changed()

    def _set_searching(self, searching: bool) -> None:
        """While a search runs its button stops it (a slow hub can take seconds)."""
        self._searching = searching
        self.search_button.setText("Stop" if searching else "Search")
        self.search_button.setToolTip("Stop this search" if searching else "Search the hub")

    def _search_or_stop(self) -> None:
        if self._searching:
            self.stopRequested.emit()
            self.show_failed("Search stopped.")
        else:
            self._search()

    def _search(self) -> None:
        text = " ".join(self.query.text().split())
        if text:
            self.searchRequested.emit(text)

    def _chosen(self) -> int:
        """The selected row when it can be downloaded now, else -1."""
        rows = self.results.selectionModel().selectedRows()
        index = rows[0].row() if rows else -1
        ok = 0 <= index < len(self._rows) and not self._rows[index].installed and not self._busy
        return index if ok else -1

    def _download(self) -> None:
        if (index := self._chosen()) >= 0:
            self.pullRequested.emit(index)

    def _selection_changed(self) -> None:
        self.download_button.setEnabled(self._chosen() >= 0)


def _cells(row: HubRow, first_of_repo: bool) -> list[tuple[str, str]]:
    """Each column's text and tooltip; the tooltip always holds the full text, since
    the table elides at 800 px."""
    repo_tip = f"{row.repo_id} ({row.downloads:,} downloads)"
    quant_tip = f"{row.quant}" + (f"\n★ Recommended here. {RECOMMENDATION_RULE}" if row.recommended else "")
    size_tip = f"{human_size(row.size)} to download" + (" (model and projector)" if row.projector else "")
    fit = "installed" if row.installed else row.fit
    vision_tip = (f"projector in repo: {row.projector} comes with it and is checked to pair with the model "
                  "when installed; if the two do not pair, nothing is installed." if row.projector
                  else "No projector in this repository: text only.")
    return [
        (row.repo_id if first_of_repo else "", repo_tip),
        (("★ " if row.recommended else "") + row.quant, quant_tip),
        (row.file, row.file),
        (human_size(row.size), size_tip),
        (fit, _FITS.get(fit, fit)),
        ("projector in repo" if row.projector else "", vision_tip),
    ]


def _summary(query: str, rows: list[HubRow], without_gguf: int) -> str:
    repos = len({row.repo_id for row in rows})
    files = f"{len(rows)} file" + ("s" if len(rows) != 1 else "")
    where = _repositories(repos)
    if not rows and without_gguf:
        verb = "matches" if without_gguf == 1 else "match"
        return f"{_repositories(without_gguf)} on Hugging Face {verb} “{query}”, but none has GGUF model files."
    if not rows:
        return f"No GGUF models on Hugging Face match “{query}”."
    more = "1 more repository" if without_gguf == 1 else f"{without_gguf} more repositories"
    extra = f" {more} had no GGUF model files." if without_gguf else ""
    star = " ★ marks Hearth's pick for this machine." if any(row.recommended for row in rows) else ""
    return f"{files} in {where} for “{query}”.{star}{extra}"


def _repositories(count: int) -> str:
    return f"{count} repositor" + ("ies" if count != 1 else "y")
