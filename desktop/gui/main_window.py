"""The main window: the conversation list on the left; on the right a header (title,
model picker, new chat), the chat as a centred reading column, and the composer at
the bottom of that column. Widgets only; `desktop.app` wires it to the services.

Keys: Enter sends; Esc clears the search, else stops an answer, else cancels an edit;
Ctrl+N new chat; Ctrl+F search; Ctrl+B sidebar; Ctrl+, settings; Ctrl+Shift+M models;
Ctrl+Q quit; Del (in the list) deletes, with an undo bar; hold Ctrl+Space to talk;
Ctrl+Shift+S attaches a part of the screen; letters typed on a message go to the composer.

Signals:
    newConversationRequested(): "New chat" or Ctrl+N.
    conversationSelected(int): a conversation in the list was chosen.
    searchRequested(str): the search box changed (empty: show all conversations).
    deleteRequested(int): delete this conversation (the list's Delete key or menu).
    renameRequested(int, str): a conversation title was edited.
    exportRequested(int, str): export a conversation to this path (.md or .json).
    settingsRequested(): Settings, Ctrl+, or a notice's settings link.
    modelsRequested(): Models, Ctrl+Shift+M, the picker's "Manage models…" or the tip's button.
    undoDeleteRequested(): Undo on the undo bar (or Ctrl+Z in the list).
    quitRequested(): Ctrl+Q: quit Hearth (closing the window may only hide it in the tray).
    silenceRequested(): Esc while an answer is read aloud (and none is being written).
    voiceModeToggled(bool): the voice-mode button (or Ctrl+Shift+V) turned hands-free talk on/off.
    Push-to-talk by keyboard goes through the composer's talkPressed/talkReleased.
"""

from __future__ import annotations

import base64
import contextlib
import itertools

from PySide6.QtCore import QByteArray, QEvent, QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from desktop.core.conversation import Attachment
from desktop.core.engine_types import EngineInfo
from desktop.core.model_names import readable_stem
from desktop.gui.chat.attachments import show_image
from desktop.gui.chat.chat_view import ChatView
from desktop.gui.chat.composer import Composer
from desktop.gui.elided_label import ElidedLabel
from desktop.gui.icons import IconButton
from desktop.gui.model_picker import ModelPicker
from desktop.gui.screen_capture import ScreenAsk
from desktop.gui.sidebar import Sidebar
from desktop.gui.theme import COLUMN_PX
from desktop.gui.tip_bar import TipBar, UndoBar
from desktop.gui.type_to_composer import type_to_composer

__all__ = ["MainWindow"]

SIDEBAR_PX = 260
NARROW_PX = 860  # below this the sidebar folds away (Ctrl+B or the header button brings it back)


class MainWindow(QMainWindow):
    newConversationRequested = Signal()
    conversationSelected = Signal(int)
    searchRequested = Signal(str)
    deleteRequested = Signal(int)
    renameRequested = Signal(int, str)
    exportRequested = Signal(int, str)
    settingsRequested = Signal()
    modelsRequested = Signal()
    undoDeleteRequested = Signal()
    quitRequested = Signal()
    silenceRequested = Signal()
    voiceModeToggled = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Hearth")
        room = self.screen().availableGeometry()  # never larger than the screen (an 800x600 one too)
        self.resize(min(1180, room.width() - 40), min(780, room.height() - 60))
        self.setMinimumSize(min(640, room.width()), min(480, room.height()))
        self.setAcceptDrops(True)

        self.sidebar = Sidebar(self)
        self.sidebar.setMinimumWidth(180)
        self.conversations = self.sidebar.list
        self.search = self.sidebar.search
        self.new_button = self.sidebar.new_button
        self.models_button = self.sidebar.models_button
        self.settings_button = self.sidebar.settings_button

        pane = QWidget(self)
        pane.setObjectName("ChatPane")
        self.header = QWidget(pane)
        self.header.setObjectName("ChatHeader")
        self.sidebar_button = IconButton("layout", "Show or hide the sidebar (Ctrl+B)", self.header)
        self.title_label = ElidedLabel("New chat", self.header)
        self.title_label.setObjectName("ChatTitle")
        self.title_label.setAccessibleName("Conversation title")
        self.model_picker = ModelPicker(self.header)
        self.voice_button = IconButton("headset", "Voice mode: talk hands-free (Ctrl+Shift+V)", self.header)
        self.voice_button.setCheckable(True)
        self.voice_button.setObjectName("VoiceModeButton")  # lit while the microphone is open
        self.voice_button.toggled.connect(self.voiceModeToggled.emit)
        self.new_chat_button = IconButton("note-pencil", "New chat (Ctrl+N)", self.header)
        header_row = QHBoxLayout(self.header)
        header_row.setContentsMargins(8, 6, 8, 6)
        header_row.addWidget(self.sidebar_button)
        header_row.addWidget(self.title_label, 1)
        header_row.addWidget(self.model_picker)
        header_row.addWidget(self.voice_button)
        header_row.addWidget(self.new_chat_button)

        self.tip = TipBar(pane)
        self.undo_bar = UndoBar(pane)
        self.chat = ChatView(pane)
        self.composer = Composer(pane)
        bottom = QWidget(pane)  # the tip, undo bar and composer share the reading column
        bottom_row = QHBoxLayout(bottom)
        bottom_row.setContentsMargins(16, 0, 16, 0)
        self._bottom_row = bottom_row
        column = QWidget(bottom)
        column.setMaximumWidth(COLUMN_PX)
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.setSpacing(6)
        column_layout.addWidget(self.tip)
        column_layout.addWidget(self.undo_bar)
        column_layout.addWidget(self.composer)
        bottom_row.addStretch(1)
        bottom_row.addWidget(column, 100)
        bottom_row.addStretch(1)
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.setSpacing(0)
        pane_layout.addWidget(self.header)
        pane_layout.addWidget(self.chat, 1)
        pane_layout.addWidget(bottom)

        self.splitter = QSplitter(self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(pane)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([SIDEBAR_PX, 920])
        self.splitter.setHandleWidth(1)
        self._sidebar_width = SIDEBAR_PX  # as the person left it, also while folded away
        self.splitter.splitterMoved.connect(lambda position, _index: setattr(self, "_sidebar_width", position))
        self.setCentralWidget(self.splitter)

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
        self.statusBar().setSizeGripEnabled(False)

        self._tab_order = QTimer(self)  # once per burst of message changes
        self._tab_order.setSingleShot(True)
        self._tab_order.setInterval(0)
        self._tab_order.timeout.connect(self._set_tab_order)
        self.chat.focusChainChanged.connect(self._tab_order.start)
        self._narrow = False
        self.chat.verticalScrollBar().rangeChanged.connect(lambda _low, _high: self._align_composer())
        self._connect()
        self._set_tab_order()
        self.composer.edit.setFocus()
        type_to_composer(self, self.composer.edit)  # keys typed on a message or a button
        self.talk_key = Qt.Key.Key_Space
        self._talking = False
        self.speaking = False
        self._talk_shortcut = QShortcut(QKeySequence("Ctrl+Space"), self, self._talk_pressed)
        self._talk_shortcut.setAutoRepeat(False)

    def _connect(self) -> None:
        sidebar = self.sidebar
        sidebar.newConversationRequested.connect(self.newConversationRequested.emit)
        sidebar.conversationSelected.connect(self.conversationSelected.emit)
        sidebar.searchRequested.connect(self.searchRequested.emit)
        sidebar.deleteRequested.connect(self.deleteRequested.emit)
        sidebar.renameRequested.connect(self.renameRequested.emit)
        sidebar.exportRequested.connect(self.exportRequested.emit)
        sidebar.settingsRequested.connect(self.settingsRequested.emit)
        sidebar.modelsRequested.connect(self.modelsRequested.emit)
        self.new_chat_button.clicked.connect(self.newConversationRequested.emit)
        self.sidebar_button.clicked.connect(self.toggle_sidebar)
        self.model_picker.manageRequested.connect(self.modelsRequested.emit)
        self.tip.actionRequested.connect(self.modelsRequested.emit)
        self.undo_bar.undoRequested.connect(self.undoDeleteRequested.emit)
        self.composer.settingsRequested.connect(self.settingsRequested.emit)
        self.chat.imageOpened.connect(self.show_image)
        self.chat.promptChosen.connect(self._example_prompt)
        self.screen_ask = ScreenAsk(self)
        self.screen_ask.captured.connect(lambda image: self.composer.add_image(image, "screen capture"))
        self.composer.captureRequested.connect(self.ask_about_screen)
        shortcuts = {
            QKeySequence.StandardKey.New: self.newConversationRequested.emit,
            QKeySequence(Qt.Key.Key_Escape): self._escape,
            QKeySequence.StandardKey.Find: self.sidebar.focus_search,
            QKeySequence.StandardKey.Quit: self.quitRequested.emit,
            QKeySequence("Ctrl+,"): self.settingsRequested.emit,
            QKeySequence("Ctrl+Shift+M"): self.modelsRequested.emit,
            QKeySequence("Ctrl+B"): self.toggle_sidebar,
            QKeySequence("Ctrl+Shift+S"): self.ask_about_screen,
            QKeySequence("Ctrl+Shift+V"): self.voice_button.toggle,
        }
        for key, slot in shortcuts.items():
            QShortcut(key, self, slot)
        self.undo_bar.undo_key_on(self.conversations)

    def _set_tab_order(self) -> None:
        """Reading order: sidebar, header, the conversation and its messages' buttons,
        the bars above the composer, the composer. Messages come and go, so again then."""
        composer = self.composer
        chain = [self.new_button, self.search, self.conversations, self.models_button, self.settings_button,
                 self.sidebar_button, self.model_picker, self.voice_button, self.new_chat_button, self.chat,
                 *self.chat.welcome.buttons, *self.chat.focus_chain(),
                 self.tip.action_button, self.tip.close_button, self.undo_bar.action_button,
                 self.undo_bar.close_button, composer.notice_close, composer.cancel_edit_button, composer.edit,
                 composer.attach_button, composer.capture_button, composer.talk_button, composer.send_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- layout ------------------------------------------------------------------------

    def toggle_sidebar(self) -> None:
        self._show_sidebar(not self.sidebar.isVisible())

    def _show_sidebar(self, shown: bool) -> None:
        self.sidebar.setVisible(shown)
        if shown:  # at the width the person left it
            self.splitter.setSizes([self._sidebar_width, max(200, self.width() - self._sidebar_width)])

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        super().resizeEvent(event)
        narrow = self.width() < NARROW_PX
        if narrow != self._narrow:  # fold the sidebar once when the window gets narrow, unfold when wide
            self._narrow = narrow
            self._show_sidebar(not narrow)

    def _align_composer(self) -> None:
        """The composer's column lines up with the messages', scroll bar or not."""
        bar = self.chat.verticalScrollBar()
        self._bottom_row.setContentsMargins(16, 0, 16 + (bar.width() if bar.maximum() > 0 else 0), 0)

    def layout_state(self) -> tuple[str, int]:
        """(geometry as base64, sidebar width) to remember between runs."""
        geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode("ascii")
        return geometry, self._sidebar_width

    def restore_layout(self, geometry: str | None, sidebar_width: int | None) -> None:
        if geometry:
            with contextlib.suppress(ValueError):  # a damaged value: the default size
                self.restoreGeometry(QByteArray(base64.b64decode(geometry, validate=True)))
        if sidebar_width:
            self._sidebar_width = max(180, min(int(sidebar_width), 480))
            self.splitter.setSizes([self._sidebar_width, max(400, self.width() - self._sidebar_width)])

    def set_conversation_title(self, title: str) -> None:
        self.title_label.setText(title or "New chat")
        self.title_label.setToolTip(title)

    # -- keyboard ------------------------------------------------------------------------

    def set_talk_shortcut(self, text: str) -> None:
        """The key combination held for push-to-talk, e.g. "Ctrl+Space"."""
        sequence = QKeySequence(text)
        if sequence.isEmpty():
            return
        self.talk_key = sequence[0].key()
        self._talk_shortcut.setKey(sequence)

    def _escape(self) -> None:
        """Esc does the one thing that fits where the person is."""
        if self.search.hasFocus() and self.search.text():
            self.search.clear()
        elif self.composer.busy:
            self.composer.stopRequested.emit()
        elif self.speaking:
            self.silenceRequested.emit()
        elif self.composer.editing is not None:
            self.composer.cancel_edit()
        elif self.search.hasFocus():
            self.composer.edit.setFocus()

    def _talk_pressed(self) -> None:
        """The push-to-talk keys went down: listen until the key comes up. Only then is
        an application-wide filter installed (it would otherwise see every event)."""
        if self._talking:
            return
        self._talking = True
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.composer.talkPressed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """While talking: the release of the held key (autorepeat is ignored) ends it."""
        if (event.type() == QEvent.Type.KeyRelease and isinstance(event, QKeyEvent) and self._talking
                and event.key() == self.talk_key and not event.isAutoRepeat()):
            self._talking = False
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self.composer.talkReleased.emit()
            return True
        return False

    # -- updates from the session ----------------------------------------------------

    def show_engine(self, info: EngineInfo) -> None:
        # A file's own name, never the GGUF's general.name (it said "AWQ" on a Q4_K_M file).
        name = readable_stem(info.model_path.name) if info.model_path.suffix == ".gguf" else info.model_name
        vision = " + vision" if info.vision else ""
        context = f" · {info.n_ctx} ctx" if info.n_ctx else ""
        self.model_label.setText(f"{name}{vision} · {info.backend}{context}")
        self.setWindowTitle(f"Hearth — {name}")
        self.set_vision(info.vision, info.image_max_side)
        self.set_state("Ready")

    def set_vision(self, vision: bool, max_image_side: int = 0) -> None:
        """Whether images can be attached, and the side they are scaled to (0: as before)."""
        self.composer.vision = vision
        if max_image_side:
            self.composer.max_image_side = max_image_side

    def ask_about_screen(self) -> None:
        """Attach a part of the screen, chosen with the mouse (the window steps aside)."""
        problem = self.screen_ask.problem()
        if problem:
            self.composer.show_notice(problem)
        elif self.composer.check_vision():
            self.screen_ask.start()

    def show_voice_mode(self, on: bool) -> None:
        """The microphone is open for voice mode: the button and the level say so."""
        with QSignalBlocker(self.voice_button):
            self.voice_button.setChecked(on)
        self.voice_button.set_icon_name("headset-fill" if on else "headset")
        self.composer.set_listening(on)
        self.set_state("Voice mode: listening (Ctrl+Shift+V ends it)" if on else "Ready")

    def set_speaking(self, speaking: bool) -> None:
        """An answer is being read aloud: Esc (or a speaker button) silences it."""
        self.speaking = speaking
        self.chat.set_speaking(speaking)
        if not self.composer.busy:
            self.set_state("Reading aloud · Esc stops" if speaking else "Ready")

    def set_voice_available(self, available: bool) -> None:
        """Push-to-talk is offered only with a Whisper model that loads."""
        self.composer.talk_button.setEnabled(available)

    def show_api_address(self, address: str) -> None:
        """Where the OpenAI-compatible API listens ('' when it is off)."""
        self.api_label.setText(f"API: {address}" if address else "")
        self.api_label.setToolTip(f'OpenAI(base_url="{address}", api_key="…")' if address else "")

    def show_engine_loading(self) -> None:
        self.model_label.setText("Loading model…")

    def show_notice(self, message: str) -> None:
        """One line above the composer (a problem the person should know of)."""
        self.composer.show_notice(message)

    def show_engine_failure(self, message: str) -> None:
        self.model_label.setText("No model loaded")
        self.setWindowTitle("Hearth")
        self.set_state("")
        self.composer.show_notice(message)

    def set_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_conversations(self, summaries: list) -> None:
        self.sidebar.show_conversations(summaries)

    def show_search_results(self, hits: list) -> None:
        self.sidebar.show_search_results(hits)

    def show_image(self, attachment: Attachment) -> None:
        show_image(attachment, self)

    # -- events ------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        self.composer.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: ANN001 - Qt event
        self.composer.dropEvent(event)

    def _example_prompt(self, text: str) -> None:
        if text:
            self.composer.set_text(text)
        else:
            self.composer.edit.setFocus()
            self.composer.show_notice("Hold the microphone button (or Ctrl+Space) and ask out loud.")
