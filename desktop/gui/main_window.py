"""The main window: conversations on the left, the chat and the composer on the right,
the model, backend and state in the status line. Widgets only; `desktop.app` wires it.

Signals:
    newConversationRequested(): "New chat" or Ctrl+N.
    conversationSelected(int): a conversation in the list was chosen.
    searchRequested(str): the search box changed (empty: show all conversations).
    deleteRequested(int): Delete on the selected conversation.
    renameRequested(int, str): a conversation title was edited.
    exportRequested(int, str): export a conversation to this path (.md or .json).
    settingsRequested(): "Settings…", Ctrl+, or the composer's settings link.
    modelsRequested(): "Models…", Ctrl+Shift+M or the tip bar's button.
    Push-to-talk by keyboard goes through the composer's talkPressed/talkReleased.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Attachment
from desktop.core.engine_types import EngineInfo
from desktop.gui.chat_view import ChatView
from desktop.gui.composer import Composer, attachment_pixmap
from desktop.gui.tip_bar import TipBar

__all__ = ["MainWindow"]

_ID = Qt.ItemDataRole.UserRole


class MainWindow(QMainWindow):
    newConversationRequested = Signal()
    conversationSelected = Signal(int)
    searchRequested = Signal(str)
    deleteRequested = Signal(int)
    renameRequested = Signal(int, str)
    exportRequested = Signal(int, str)
    settingsRequested = Signal()
    modelsRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Hearth")
        self.resize(1100, 760)
        self.setAcceptDrops(True)

        self.new_button = QPushButton("New chat", self)
        self.new_button.setAccessibleName("New chat")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search all conversations")
        self.search.setAccessibleName("Search conversations")
        self.search.setClearButtonEnabled(True)
        self.conversations = QListWidget(self)
        self.conversations.setAccessibleName("Conversations")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.new_button)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.conversations, 1)
        self.models_button = QPushButton("Models…", self)
        self.models_button.setAccessibleName("Models")
        self.settings_button = QPushButton("Settings…", self)
        self.settings_button.setAccessibleName("Settings")
        left_layout.addWidget(self.models_button)
        left_layout.addWidget(self.settings_button)
        self.conversations.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conversations.customContextMenuRequested.connect(self._context_menu)

        self.tip = TipBar(self)
        self.chat = ChatView(self)
        self.composer = Composer(self)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.tip)
        right_layout.addWidget(self.chat, 1)
        right_layout.addWidget(self.composer)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 840])
        self.setCentralWidget(splitter)

        self.model_label = QLabel("Loading model…", self)
        self.model_label.setAccessibleName("Model and backend")
        self.state_label = QLabel("", self)
        self.state_label.setAccessibleName("State")
        self.api_label = QLabel("", self)
        self.api_label.setAccessibleName("API address")
        self.api_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.model_label, 1)
        self.statusBar().addPermanentWidget(self.api_label)
        self.statusBar().addPermanentWidget(self.state_label)

        self.new_button.clicked.connect(self.newConversationRequested.emit)
        QShortcut(QKeySequence.StandardKey.New, self, self.newConversationRequested.emit)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.composer.stopRequested.emit)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        QShortcut(QKeySequence.StandardKey.Quit, self, self.close)
        QShortcut(QKeySequence("Ctrl+,"), self, self.settingsRequested.emit)
        self.settings_button.clicked.connect(self.settingsRequested.emit)
        self.models_button.clicked.connect(self.modelsRequested.emit)
        self.tip.actionRequested.connect(self.modelsRequested.emit)
        QShortcut(QKeySequence("Ctrl+Shift+M"), self, self.modelsRequested.emit)
        self.composer.settingsRequested.connect(self.settingsRequested.emit)
        self.search.textChanged.connect(self.searchRequested.emit)
        self.conversations.itemActivated.connect(self._selected)
        self.conversations.itemClicked.connect(self._selected)
        self.conversations.itemChanged.connect(self._renamed)
        QShortcut(QKeySequence.StandardKey.Delete, self.conversations, self._delete_selected)
        self.chat.imageOpened.connect(self.show_image)
        self.composer.edit.setFocus()
        self.talk_key = Qt.Key.Key_Space
        self.talk_modifier = Qt.KeyboardModifier.ControlModifier
        self._talking = False
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_talk_shortcut(self, text: str) -> None:
        """The key combination held for push-to-talk, e.g. "Ctrl+Space"."""
        sequence = QKeySequence(text)
        if sequence.isEmpty():
            return
        combination = sequence[0]
        self.talk_key = combination.key()
        self.talk_modifier = combination.keyboardModifiers()

    def export_conversation(self, conversation_id: int, title: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export conversation", f"{title}.md", "Markdown (*.md);;JSON (*.json)"
        )
        if path:
            self.exportRequested.emit(conversation_id, path)

    def _context_menu(self, point) -> None:  # noqa: ANN001 - QPoint
        item = self.conversations.itemAt(point)
        if item is None:
            return
        conversation_id = int(item.data(_ID))
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.conversations.editItem(item))
        menu.addAction("Export…", lambda: self.export_conversation(conversation_id, item.text().split("\n")[0]))
        menu.addAction("Delete", lambda: self.deleteRequested.emit(conversation_id))
        menu.exec(self.conversations.mapToGlobal(point))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Hold Ctrl+Space anywhere in the window to talk; autorepeat is ignored."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        if event.key() != self.talk_key or event.isAutoRepeat():
            return super().eventFilter(watched, event)
        if kind == QEvent.Type.KeyPress and event.modifiers() & self.talk_modifier and self.isActiveWindow():
            self._talking = True
            self.composer.talkPressed.emit()
            return True
        if kind == QEvent.Type.KeyRelease and self._talking:
            self._talking = False
            self.composer.talkReleased.emit()
            return True
        return super().eventFilter(watched, event)

    # -- updates from the session ----------------------------------------------------

    def show_engine(self, info: EngineInfo) -> None:
        vision = " + vision" if info.vision else ""
        context = f" · {info.n_ctx} ctx" if info.n_ctx else ""
        self.model_label.setText(f"{info.model_name}{vision} · {info.backend}{context}")
        self.setWindowTitle(f"Hearth — {info.model_name}")
        self.composer.vision = info.vision
        if info.image_max_side:
            self.composer.max_image_side = info.image_max_side
        self.set_state("Ready")

    def show_api_address(self, address: str) -> None:
        """Where the OpenAI-compatible API listens ('' when it is off)."""
        self.api_label.setText(f"API: {address}" if address else "")
        self.api_label.setToolTip(f'OpenAI(base_url="{address}", api_key="none")' if address else "")

    def show_engine_failure(self, message: str) -> None:
        self.model_label.setText("No model loaded")
        self.setWindowTitle("Hearth")
        self.set_state("")
        self.composer.show_notice(message)

    def set_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_conversations(self, summaries: list) -> None:
        if self.search.text().strip():
            return  # search results stay until the search box is cleared
        self.conversations.blockSignals(True)
        self.conversations.clear()
        for summary in summaries:
            item = QListWidgetItem(summary.title)
            item.setData(_ID, summary.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.conversations.addItem(item)
        self.conversations.blockSignals(False)

    def show_search_results(self, hits: list) -> None:
        self.conversations.blockSignals(True)
        self.conversations.clear()
        for hit in hits:
            item = QListWidgetItem(f"{hit.conversation_title}\n{hit.snippet}")
            item.setData(_ID, hit.conversation_id)
            self.conversations.addItem(item)
        self.conversations.blockSignals(False)

    def show_image(self, attachment: Attachment) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle(attachment.source_name or "Image")
        label = QLabel(dialog)
        label.setPixmap(attachment_pixmap(attachment, 900))
        QVBoxLayout(dialog).addWidget(label)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    # -- events ------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        self.composer.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        self.composer.dropEvent(event)

    def _selected(self, item: QListWidgetItem) -> None:
        self.conversationSelected.emit(int(item.data(_ID)))

    def _renamed(self, item: QListWidgetItem) -> None:
        self.renameRequested.emit(int(item.data(_ID)), item.text())

    def _delete_selected(self) -> None:
        item = self.conversations.currentItem()
        if item is not None:
            self.deleteRequested.emit(int(item.data(_ID)))
