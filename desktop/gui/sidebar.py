"""The conversation sidebar: "New chat", search, conversations grouped by date, Models and
Settings. A standalone widget; the window places it and `desktop.app` wires its signals.

Two highlights, on purpose: the open conversation is painted as selected at all times
(set_current), and the keyboard cursor is the focus ring, which Up/Down move without
opening anything. Delete acts on the focus ring, and only while the list has focus.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidgetItem,
    QMenu,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core.history_view import (
    clean_snippet,
    dedupe_hits,
    export_file_name,
    export_target,
    group_by_date,
    plain_text,
    rich_tooltip,
    snippet_segments,
)
from desktop.gui.icons import IconButton, icon
from desktop.gui.sidebar_rows import (
    CONVERSATION,
    EMPTY,
    HEADER,
    ID_ROLE,
    KIND_ROLE,
    OPEN_ROLE,
    RESULT,
    SEGMENTS_ROLE,
    TITLE_ROLE,
    ConversationDelegate,
    ConversationList,
    is_row,
)

__all__ = ["SEARCH_PAUSE_MS", "Sidebar"]

SEARCH_PAUSE_MS = 150  # typing pauses this long before a search runs
_FOOTER_TEXT_MIN = 220  # px: below this the footer buttons drop their text


class Sidebar(QWidget):
    """New chat, search, the conversations (grouped by date) or the search results, and a
    footer with Models and Settings. Every control is reachable with Tab.

    Signals:
        newConversationRequested(): "New chat" was pressed.
        conversationSelected(int): a row was clicked or Entered (never by set_current).
        searchRequested(str): the search text changed (stripped) and then rested for
            SEARCH_PAUSE_MS, so typing does not search at every key; "" (show all) at once.
        deleteRequested(int): Delete with the list focused, or Delete in a row's menu.
        renameRequested(int, str): a title was edited inline (new and not empty).
        exportRequested(int, str): export to this path (.md or .json), chosen in a dialog.
        settingsRequested(): the Settings button.
        modelsRequested(): the Models button.
    """

    newConversationRequested = Signal()
    conversationSelected = Signal(int)
    searchRequested = Signal(str)
    deleteRequested = Signal(int)
    renameRequested = Signal(int, str)
    exportRequested = Signal(int, str)
    settingsRequested = Signal()
    modelsRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.new_button = self._text_button("note-pencil", "New chat", "New chat (Ctrl+N)", "NewChatButton")
        self.search = QLineEdit(self)
        self.search.setObjectName("SidebarSearch")
        self.search.setPlaceholderText("Search chats")
        self.search.setAccessibleName("Search conversations")
        self.search.setClearButtonEnabled(True)
        self._search_icon = self.search.addAction(icon("magnifying-glass"), QLineEdit.ActionPosition.LeadingPosition)
        self.list = ConversationList(self)
        self.list.setObjectName("ConversationList")
        self.list.setAccessibleName("Conversations")
        self.delegate = ConversationDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setWordWrap(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # relayout (and move an editor) on resize
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setMouseTracking(True)
        self.list.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.models_button = self._text_button("cube", "Models", "Models (Ctrl+Shift+M)", "SidebarModels")
        self.settings_button = self._text_button("gear-six", "Settings", "Settings (Ctrl+,)", "SidebarSettings")
        for button in (self.models_button, self.settings_button):
            button.setMinimumWidth(36)  # may shrink below its text: resizeEvent then hides the text

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        footer = QHBoxLayout()
        footer.setSpacing(4)
        footer.addWidget(self.models_button)
        footer.addWidget(self.settings_button)
        layout.addLayout(footer)
        for first, second in ((self.new_button, self.search), (self.search, self.list),
                              (self.list, self.models_button), (self.models_button, self.settings_button)):
            QWidget.setTabOrder(first, second)

        self._summaries: list = []
        self._now: float | None = None
        self._current_id: int | None = None
        self._query = ""
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(lambda: self.searchRequested.emit(self._query))
        self._pending: list | None = None  # rows that arrived while a title was being edited
        self.new_button.clicked.connect(self.newConversationRequested.emit)
        self.models_button.clicked.connect(self.modelsRequested.emit)
        self.settings_button.clicked.connect(self.settingsRequested.emit)
        self.search.textChanged.connect(self._search_changed)
        self.search.installEventFilter(self)
        self.list.clicked.connect(self._open_index)
        self.list.openPressed.connect(lambda row: self._open_index(self.list.model().index(row, 0)))
        self.list.deletePressed.connect(lambda row: self.deleteRequested.emit(self._id_at(row)))
        self.list.menuRequested.connect(self._popup_menu)
        self.delegate.titleEdited.connect(self._title_edited)
        self.delegate.closeEditor.connect(self._editor_closed)

    def _text_button(self, name: str, text: str, tooltip: str, object_name: str) -> IconButton:
        button = IconButton(name, tooltip, self)
        button.setText(text)
        button.setAccessibleName(text)
        button.setObjectName(object_name)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    # -- the window's calls -------------------------------------------------------------

    def focus_search(self) -> None:
        """Ctrl+F: the window owns the shortcut."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def show_conversations(self, summaries: Sequence, *, now: float | None = None) -> None:
        """ConversationSummary rows, newest first, under date headers; ignored (but kept
        for when the search is cleared) while the search box has text."""
        self._summaries, self._now = list(summaries), now
        if not self._query:
            self._replace_rows(self._conversation_rows())

    def show_search_results(self, hits: Sequence) -> None:
        """SearchHit rows, one per conversation; late results for a cleared search are dropped."""
        if not self._query:
            return
        rows = [self._result_item(hit) for hit in dedupe_hits(hits)]
        if not rows:
            rows = [self._plain_item("No results", EMPTY)]
        self._replace_rows(rows)

    def set_current(self, conversation_id: int | None) -> None:
        """The open conversation (None or -1: a new unsaved chat). Emits nothing."""
        self._current_id = conversation_id if conversation_id is not None and conversation_id >= 0 else None
        self._mark_open()
        row = self._row_of(self._current_id)
        if row is not None:
            self.list.setCurrentRow(row)
            self.list.scrollToItem(self.list.item(row))

    def highlighted_id(self) -> int | None:
        """The conversation painted as open, if it is in the list."""
        for row in range(self.list.count()):
            if self.list.item(row).data(OPEN_ROLE):
                return self._id_at(row)
        return None

    def menu_for_row(self, row: int) -> QMenu | None:
        """Rename, Export…, Delete for a conversation row (None for headers)."""
        item = self.list.item(row)
        if item is None or not is_row(self.list.indexFromItem(item)):
            return None
        conversation_id, title = self._id_at(row), str(item.data(TITLE_ROLE))
        menu = QMenu(self)
        menu.addAction(icon("pencil-simple"), "Rename").triggered.connect(lambda: self.edit_title(conversation_id))
        menu.addAction(icon("export"), "Export…").triggered.connect(
            lambda: self.export_conversation(conversation_id, title))
        menu.addSeparator()
        menu.addAction(icon("trash"), "Delete").triggered.connect(lambda: self.deleteRequested.emit(conversation_id))
        return menu

    def edit_title(self, conversation_id: int) -> None:
        row = self._row_of(conversation_id)
        if row is not None:
            self.list.setFocus(Qt.FocusReason.OtherFocusReason)
            self.list.setCurrentRow(row)
            self.list.editItem(self.list.item(row))

    def export_conversation(self, conversation_id: int, title: str) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export conversation", export_file_name(title), "Markdown (*.md);;JSON (*.json)")
        if path:
            self.exportRequested.emit(conversation_id, export_target(path, chosen))

    # -- rows -----------------------------------------------------------------------------

    def _conversation_rows(self) -> list[QListWidgetItem]:
        rows: list[QListWidgetItem] = []
        now = time.time() if self._now is None else self._now
        for group, members in group_by_date(self._summaries, now):
            rows.append(self._plain_item(group, HEADER))
            for summary in members:
                title = " ".join(str(summary.title).split()) or "New chat"
                item = self._row_item(summary.id, title, CONVERSATION, title)
                item.setToolTip(rich_tooltip(title))
                rows.append(item)
        return rows

    def _result_item(self, hit: object) -> QListWidgetItem:
        title = " ".join(str(hit.conversation_title).split()) or "New chat"
        segments = snippet_segments(clean_snippet(hit.snippet))
        item = self._row_item(hit.conversation_id, title, RESULT, f"{title}: {plain_text(segments)}")
        item.setData(SEGMENTS_ROLE, segments)
        item.setToolTip(rich_tooltip(title, plain_text(segments)))
        return item

    @staticmethod
    def _row_item(conversation_id: int, title: str, kind: str, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)  # the display text is what screen readers announce
        item.setData(ID_ROLE, int(conversation_id))
        item.setData(KIND_ROLE, kind)
        item.setData(TITLE_ROLE, title)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable)
        return item

    @staticmethod
    def _plain_item(text: str, kind: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(KIND_ROLE, kind)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # not selectable; the cursor steps past it
        return item

    def _replace_rows(self, rows: list[QListWidgetItem]) -> None:
        """Swap the rows, keeping the open highlight, the cursor and (same mode) the scroll."""
        if self.list.state() == QAbstractItemView.State.EditingState:
            self._pending = rows  # applied when the editor closes
            return
        cursor = self._id_at(self.list.currentRow()) if is_row(self.list.currentIndex()) else None
        was_list = self.list.count() > 0 and self.list.item(0).data(KIND_ROLE) == HEADER
        same_mode = was_list and bool(rows) and rows[0].data(KIND_ROLE) == HEADER
        scroll = self.list.verticalScrollBar().value()
        self.list.clear()
        for item in rows:
            self.list.addItem(item)
        self._mark_open()
        row = self._row_of(cursor)
        row = self._row_of(self._current_id) if row is None else row
        if row is not None:
            self.list.setCurrentRow(row)
        if same_mode:
            self.list.verticalScrollBar().setValue(scroll)
        elif self._row_of(self._current_id) is not None:
            self.list.scrollToItem(self.list.item(self._row_of(self._current_id)))

    def _mark_open(self) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            is_open = self._current_id is not None and is_row(self.list.indexFromItem(item)) \
                and self._id_at(row) == self._current_id
            if bool(item.data(OPEN_ROLE)) != is_open:
                item.setData(OPEN_ROLE, is_open)

    def _row_of(self, conversation_id: int | None) -> int | None:
        if conversation_id is None:
            return None
        for row in range(self.list.count()):
            if is_row(self.list.model().index(row, 0)) and self._id_at(row) == conversation_id:
                return row
        return None

    def _id_at(self, row: int) -> int:
        return int(self.list.model().index(row, 0).data(ID_ROLE))

    # -- events -----------------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        if is_row(index):
            self.conversationSelected.emit(int(index.data(ID_ROLE)))

    def _popup_menu(self, row: int, at: QPoint) -> None:
        menu = self.menu_for_row(row)
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(at)

    def _title_edited(self, conversation_id: int, title: str) -> None:
        row = self._row_of(conversation_id)
        if row is not None:
            item = self.list.item(row)
            item.setData(TITLE_ROLE, title)
            item.setToolTip(rich_tooltip(title))
            if item.data(KIND_ROLE) == CONVERSATION:
                item.setText(title)
        self.renameRequested.emit(conversation_id, title)

    def _editor_closed(self) -> None:
        if self._pending is not None and self.list.state() != QAbstractItemView.State.EditingState:
            rows, self._pending = self._pending, None
            self._replace_rows(rows)

    def _search_changed(self, text: str) -> None:
        query = text.strip()
        if query == self._query:
            return
        self._query = query
        if query:
            self._search_timer.start()  # restarted by each key
            return
        self._search_timer.stop()
        self._replace_rows(self._conversation_rows())  # at once, before the store answers
        self.searchRequested.emit(query)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc clears a non-empty search (else it stays the window's Esc); Down enters the list."""
        if watched is self.search and isinstance(event, QKeyEvent):
            kind = event.type()
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                if kind == QEvent.Type.KeyPress:
                    self.search.clear()
                if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
                    event.accept()
                    return True
            if event.key() == Qt.Key.Key_Down and kind == QEvent.Type.KeyPress and self.list.count():
                self.list.setFocus(Qt.FocusReason.TabFocusReason)
                if self.search.text().strip():  # results: Down then Enter opens the top hit
                    first = next((r for r in range(self.list.count())
                                  if self.list.item(r).data(KIND_ROLE) == RESULT), None)
                    if first is not None:
                        self.list.setCurrentRow(first)
                return True
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Narrow: the footer shows its icons only (names stay as tooltips), so 180 px fits."""
        super().resizeEvent(event)
        style = Qt.ToolButtonStyle.ToolButtonIconOnly if event.size().width() < _FOOTER_TEXT_MIN \
            else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in (self.models_button, self.settings_button):
            button.setToolButtonStyle(style)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._search_icon.setIcon(icon("magnifying-glass"))
