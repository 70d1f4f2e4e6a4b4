"""The header's model picker: which chat model answers and which Whisper model listens.

A tool button with a menu rather than a combo box, because two choices are current at
once (one chat model, one speech model) and the last entry is a command, not a model.
The button shows the chat model's name, elided to fit a header at 800 px.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QResizeEvent
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolButton, QWidget

from desktop.core.model_names import ModelChoice
from desktop.gui.icons import icon

__all__ = ["ModelPicker"]

VISION_TIP = "Understands images"
SPEECH_TIP = "Turns your speech into text"
MAX_TEXT_PX = 240  # the name's widest; the header keeps room for the title and icons
_MIN_TEXT_PX = 40  # below this the name would be a lone ellipsis


class ModelPicker(QToolButton):
    """Shows the current chat model; its menu switches models or opens the manager.

    Signals:
        modelChosen(str, str): the person picked another model; its role ("chat" or
            "whisper") and path. Never emitted by `set_choices`.
        manageRequested(): the person chose "Manage models…".
    """

    modelChosen = Signal(str, str)
    manageRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelPicker")
        self.setAccessibleName("Model")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; Space opens the menu
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setIconSize(QSize(16, 16))
        self._menu = QMenu(self)
        self._menu.setObjectName("ModelPickerMenu")
        self._menu.setToolTipsVisible(True)
        self.setMenu(self._menu)
        self._choices: list[ModelChoice] = []
        self._current: dict[str, str | None] = {"chat": None, "whisper": None}
        self._remote: str | None = None  # a remote engine answers: its model or address
        self._full_text = ""
        self._owned: list[QAction | QActionGroup] = []  # this menu's entries, replaced by _rebuild
        self._entries: list[tuple[QAction, ModelChoice]] = []
        self.manage_action = QAction("Manage models…", self)
        self.manage_action.setToolTip("Download, import or remove models")
        self.manage_action.triggered.connect(self.manageRequested)
        self._rebuild()

    # -- API -----------------------------------------------------------------------------

    def set_choices(self, choices: list[ModelChoice], *, chat: str | None, whisper: str | None) -> None:
        """Lists `choices` and marks the current chat and Whisper paths; emits nothing."""
        self._choices = list(choices)
        self._current = {"chat": chat, "whisper": whisper}
        self._rebuild()

    def set_remote(self, name: str | None) -> None:
        """A remote engine answers (`name`: its model or address), not the local models;
        picking a local model turns it off."""
        self._remote = name
        self._show_current()

    def current_choice(self, role: str = "chat") -> ModelChoice | None:
        path = self._current.get(role)
        return next((c for c in self._choices if c.role == role and c.path == path), None)

    def full_text(self) -> str:
        """The button's name before eliding (the tooltip says it too)."""
        return self._full_text

    # -- drawing -------------------------------------------------------------------------

    def _rebuild(self) -> None:
        # A pick can lead here from inside that action's `triggered` (the app refreshes the
        # picker at once), so the old actions are deleted later, never under their caller.
        self._menu.clear()
        for old in self._owned:
            old.deleteLater()
        self._owned = []
        self._entries = []
        for role, title, empty in (("chat", "Chat models", "No chat model installed"),
                                   ("whisper", "Speech models", "No speech model installed")):
            self._menu.addAction(self._label(title))  # Fusion draws no addSection() titles
            group = QActionGroup(self)
            self._owned.append(group)
            choices = [c for c in self._choices if c.role == role]
            if not choices:
                self._menu.addAction(self._label(empty))
            for choice in choices:
                action = self._action(choice)
                self._menu.addAction(action)
                group.addAction(action)
            self._menu.addSeparator()
        self.manage_action.setIcon(icon("sliders-horizontal"))  # here: in the theme's current colours
        self._menu.addAction(self.manage_action)
        self._show_current()

    def _label(self, text: str) -> QAction:
        label = QAction(text, self)
        label.setEnabled(False)
        self._owned.append(label)
        return label

    def _action(self, choice: ModelChoice) -> QAction:
        action = QAction(choice.name, self)
        self._owned.append(action)
        self._entries.append((action, choice))
        action.setCheckable(True)
        action.setData(choice.path)
        if choice.role == "whisper":
            action.setIcon(icon("microphone"))
            action.setToolTip(f"{SPEECH_TIP}: {choice.path}")
        elif choice.vision:
            action.setIcon(icon("eye"))
            action.setToolTip(f"{VISION_TIP}: {choice.path}")
        else:
            action.setToolTip(f"Text only: {choice.path}")
        action.triggered.connect(lambda _checked=False, c=choice: self._picked(c))
        return action

    def _picked(self, choice: ModelChoice) -> None:
        if choice.path == self._current.get(choice.role):
            return  # the current one again: nothing changes
        self._current[choice.role] = choice.path
        self._show_current()
        self.modelChosen.emit(choice.role, choice.path)

    def _show_current(self) -> None:
        """Checks and bolds the current entries (a menu draws no check beside an icon)."""
        for action, choice in self._entries:
            current = choice.path == self._current.get(choice.role)
            action.setChecked(current)
            font = action.font()
            font.setBold(current)
            action.setFont(font)
        chat = self.current_choice("chat")
        speech = self.current_choice("whisper")
        self._full_text = chat.name if chat else "No model"
        self.setIcon(icon("eye") if chat and chat.vision else icon("cpu"))
        tip = [f"Model: {self._full_text}"]
        if self._remote:
            self._full_text = f"{self._remote} · remote"
            self.setIcon(icon("globe"))
            tip = [f"A remote engine answers: {self._remote} (Settings → Developer).",
                   "Pick a model here to answer on this computer again."]
        if chat and chat.vision:
            tip.append(VISION_TIP)
        if speech:
            tip.append(f"Speech: {speech.name}")
        self.setToolTip("\n".join(tip))
        self.setAccessibleDescription(", ".join(tip))
        self.updateGeometry()  # a layout gives a longer name its room, then resizeEvent re-elides
        self._elide()

    def _elide(self) -> None:
        room = min(MAX_TEXT_PX, self.width() - self._chrome())
        text = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, max(room, _MIN_TEXT_PX))
        if text != self.text():
            self.setText(text)

    def _chrome(self) -> int:
        """The button's width besides its text: icon, menu arrow, padding, border."""
        return super().sizeHint().width() - self.fontMetrics().horizontalAdvance(self.text())

    def sizeHint(self) -> QSize:
        """As wide as the whole name (up to MAX_TEXT_PX), not the elided one: else a layout
        would shrink the button to its elided text, and elide it again, down to nothing."""
        text = min(self.fontMetrics().horizontalAdvance(self._full_text), MAX_TEXT_PX)
        return QSize(self._chrome() + text, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._chrome() + _MIN_TEXT_PX, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange) and hasattr(self, "_menu"):
            self._rebuild()  # icons take the new theme's colours; names re-elide
