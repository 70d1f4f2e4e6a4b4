"""The settings dialog, in four pages: General, Models, Voice, Developer.

It returns a new `Settings` (`result_settings()`); the app saves and applies it. Every
setting says in a tooltip what it does in plain words, and one that cannot work on this
computer is disabled with the reason shown under it, not hidden.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.api_policy import new_api_key
from desktop.core.settings import Settings
from desktop.gui.icons import icon
from desktop.gui.secret_field import reveal_button
from desktop.gui.voice_choice import VOICE_TIP, Voices, show_voices

__all__ = ["PAGES", "SettingsDialog"]

_LABEL_PX = 210
_DEFAULT_MIC = "System default"
_Spin = TypeVar("_Spin", QSpinBox, QDoubleSpinBox)
PAGES = {"General": "gear", "Models": "cpu", "Voice": "microphone", "Developer": "code"}  # name: icon

_APPEARANCES = (("Match the system", "system"), ("Light", "light"), ("Dark", "dark"))

class SettingsDialog(QDialog):
    """The person's settings, a page per topic; OK accepts, the app reads the result.

    Signals:
        modelsRequested(): "Open the model manager…" on the Models page was clicked.
    """

    modelsRequested = Signal()

    def __init__(
        self, settings: Settings, *, microphones: list[str], gpu_note: str | None = None,
        tray: bool = True, quick_ask_note: str = "", voices: Voices = (), voice_note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._voices = voices
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Hearth settings")
        self.resize(680, 480)
        self._settings = settings
        self.nav = QListWidget(self)
        self.nav.setObjectName("SettingsNav")
        self.nav.setAccessibleName("Settings pages")
        self.nav.setToolTip("Choose a page of settings (arrow keys move between them)")
        self.nav.setFixedWidth(160)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("SettingsPages")
        self.pages: dict[str, QWidget] = {}
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        self._companion_rows(self._general_page(settings), settings, tray, quick_ask_note)
        self._models_page(settings, gpu_note)
        self._voice_page(settings, microphones, voices, voice_note)
        self._developer_page(settings)
        self.nav.setCurrentRow(0)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self._describe(buttons.button(QDialogButtonBox.StandardButton.Ok), "OK", "Save these settings and use them")
        self._describe(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel", "Close, changing nothing")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(name))

    def result_settings(self) -> Settings:
        shortcut = self.shortcut.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        microphone = self.microphone.currentText()
        gpu = self.gpu_offload.isChecked() if self.gpu_offload.isEnabled() else self._settings.gpu_offload
        kept_tray = self._settings.keep_in_tray  # a desktop without a tray keeps the saved choice
        return self._settings.updated(
            model_path=self.model.text().strip() or None,
            mmproj_path=self.mmproj.text().strip() or None,
            whisper_path=self.whisper.text().strip() or None,
            system_prompt=self.system_prompt.toPlainText().strip(),
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            n_ctx=self.n_ctx.value(),
            gpu_offload=gpu,  # a disabled checkbox keeps the saved choice for a build that can
            microphone=None if microphone == _DEFAULT_MIC else microphone,
            ptt_shortcut=shortcut or "Ctrl+Space",
            send_after_speaking=self.send_after_speaking.isChecked(),
            remote_url=self.remote_url.text().strip() or None,
            remote_model=self.remote_model.text().strip() or None,
            remote_api_key=self.remote_api_key.text().strip() or None,
            api_enabled=self.api_enabled.isChecked(),
            api_port=self.api_port.value(),
            api_key=self.api_key.text() or None,
            appearance=self.appearance.currentData(),
            keep_in_tray=self.keep_in_tray.isChecked() if self.keep_in_tray.isEnabled() else kept_tray,
            quick_ask_key=self.quick_ask_key.keySequence().toString(QKeySequence.SequenceFormat.PortableText),
            read_aloud=self.read_aloud.isChecked() if self.read_aloud.isEnabled() else self._settings.read_aloud,
            voice=self.voice.currentData() if self._voices else self._settings.voice,
        )

    # -- pages ---------------------------------------------------------------------------

    def _general_page(self, settings: Settings) -> QFormLayout:
        form = self._page("General")
        self.appearance = QComboBox(self)
        for label, value in _APPEARANCES:
            self.appearance.addItem(label, value)
        self.appearance.setCurrentIndex(max(0, self.appearance.findData(settings.appearance)))
        self._row(form, "Appearance", self.appearance,
                  "Light or dark, or as the system is set (and changing with it).")
        self.system_prompt = QPlainTextEdit(settings.system_prompt, self)
        self.system_prompt.setFixedHeight(90)
        self._row(form, "System prompt", self.system_prompt,
                  "What the assistant is told before every conversation: its role, tone and rules.")
        self.temperature = _spin(QDoubleSpinBox(self), 0.0, 2.0, settings.temperature)
        self.temperature.setSingleStep(0.1)
        self._row(form, "Creativity (temperature)", self.temperature,
                  "Higher gives more varied answers, lower more predictable ones; 0 always picks the "
                  "likeliest next word.")
        self.top_p = _spin(QDoubleSpinBox(self), 0.0, 1.0, settings.top_p)
        self.top_p.setSingleStep(0.05)
        self._row(form, "Word choice (top-p)", self.top_p,
                  "Only the likeliest words, together this share of the chances, are considered: "
                  "1 considers them all, lower keeps answers focused.")
        self.n_ctx = _spin(QSpinBox(self), 512, 262_144, settings.n_ctx)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setSuffix(" tokens")
        self._row(form, "Conversation memory (context length)", self.n_ctx,
                  "How much of the conversation the model sees at once, in tokens (a token is about "
                  "¾ of a word). More needs more memory; it applies when the model next loads.")
        return form

    def _companion_rows(self, form: QFormLayout, settings: Settings, tray: bool, quick_ask_note: str) -> None:
        """On the General page: the tray, and the key that opens Quick Ask from any app."""
        self.keep_in_tray = QCheckBox("Keep running in the tray when closed", self)
        self.keep_in_tray.setChecked(settings.keep_in_tray and tray)
        self.keep_in_tray.setEnabled(tray)
        self._row(form, "System tray", self.keep_in_tray,
                  "The model stays loaded, and Quick Ask stays one key away; Quit in the tray's menu "
                  "(or Ctrl+Q) ends Hearth." if tray else "This desktop shows no tray icons.")
        self.quick_ask_key = QKeySequenceEdit(QKeySequence(settings.quick_ask_key), self)
        self.quick_ask_key.setMaximumSequenceLength(1)
        self.quick_ask_key.setClearButtonEnabled(True)
        for clear in self.quick_ask_key.findChildren(QToolButton):
            self._describe(clear, "Clear the Quick Ask key", "No key for Quick Ask (the tray's menu still opens it)")
        self._row(form, "Quick Ask key", self.quick_ask_key,
                  "Opens a small Quick Ask window over whatever app you are in (clear it for none).")
        self.quick_ask_note = self._caption(form, quick_ask_note)
        self.quick_ask_note.setVisible(bool(quick_ask_note))

    def _models_page(self, settings: Settings, gpu_note: str | None) -> None:
        form = self._page("Models")
        self.model = self._path_row(form, "Chat model file", settings.model_path, "GGUF models (*.gguf)",
                                    "The GGUF model that answers. Empty: the installed default, which the "
                                    "model manager or the model picker chooses.")
        self.mmproj = self._path_row(form, "Vision projector (mmproj)", settings.mmproj_path,
                                     "GGUF projectors (*.gguf)",
                                     "The file that lets the chat model see images. Empty: the projector "
                                     "paired with the chat model, if there is one.")
        self.gpu_offload = QCheckBox("Use the GPU when llama.cpp supports it", self)
        self.gpu_offload.setChecked(settings.gpu_offload and gpu_note is None)
        tip = "Runs the model on the graphics card, which is much faster; it applies when the model next loads."
        self._row(form, "GPU offload", self.gpu_offload, f"{tip} Not here: {gpu_note}" if gpu_note else tip)
        self.gpu_note = self._caption(form, gpu_note or "")
        self.gpu_offload.setEnabled(gpu_note is None)
        self.gpu_note.setVisible(gpu_note is not None)
        self.manage_models = QPushButton(icon("sliders-horizontal"), "Open the model manager…", self)
        self._describe(self.manage_models, "Open the model manager",
                       "Download, import, check or remove models, and see which suit this computer.")
        self.manage_models.clicked.connect(self.modelsRequested)
        form.addRow("", self.manage_models)

    def _voice_page(self, settings: Settings, microphones: list[str], voices: Voices, voice_note: str) -> None:
        form = self._page("Voice")
        self.microphone = QComboBox(self)
        self.microphone.addItems([_DEFAULT_MIC, *microphones])
        if settings.microphone and settings.microphone not in microphones:
            self.microphone.addItem(settings.microphone)  # keep a device that is unplugged now
        self.microphone.setCurrentText(settings.microphone or _DEFAULT_MIC)
        self._row(form, "Microphone", self.microphone, "The microphone that push-to-talk listens to.")
        self.whisper = self._path_row(form, "Whisper model folder", settings.whisper_path, None,
                                      "The Whisper speech model (a CTranslate2 folder) that turns your "
                                      "speech into text. Empty: the installed default.")
        self.shortcut = QKeySequenceEdit(QKeySequence(settings.ptt_shortcut), self)
        self.shortcut.setMaximumSequenceLength(1)
        self._row(form, "Push-to-talk shortcut", self.shortcut,
                  "Hold these keys to speak, let go to stop; the microphone is open only while they are held.")
        self.send_after_speaking = QCheckBox("Send the question as soon as I stop speaking", self)
        self.send_after_speaking.setChecked(settings.send_after_speaking)
        self._row(form, "Send after speaking", self.send_after_speaking,
                  "Off: what you said waits in the message box, to edit before you send it.")
        self.read_aloud = QCheckBox("Read answers aloud as they are written", self)
        self.read_aloud.setChecked(settings.read_aloud and not voice_note)
        self.read_aloud.setEnabled(not voice_note)
        self._row(form, "Read aloud", self.read_aloud, voice_note or "Speech starts with the first sentence; "
                  "Stop (or Esc) silences it. The speaker under any answer reads that one.")
        self.voice = QComboBox(self)
        self._row(form, "Voice", self.voice, VOICE_TIP)
        show_voices(self.voice, voices, settings.voice, VOICE_TIP)

    def _developer_page(self, settings: Settings) -> None:
        form = self._page("Developer")
        self.api_enabled = QCheckBox("Serve an OpenAI-compatible API on this computer", self)
        self.api_enabled.setChecked(settings.api_enabled)
        self._row(form, "Local API", self.api_enabled,
                  "Lets programs on this computer use Hearth's model through the OpenAI API. It listens "
                  "on 127.0.0.1 only: nothing outside this computer can reach it, and programs must "
                  "send the key below.")
        self.api_port = _spin(QSpinBox(self), 0, 65_535, settings.api_port)
        self._row(form, "API port", self.api_port, "The port the API listens on; 0 picks any free port.")
        self.api_address = self._caption(form, "")
        self.api_address.setAccessibleName("API address")
        self.api_address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._api_key_row(form, settings.api_key)
        self.api_enabled.toggled.connect(self._show_address)
        self.api_port.valueChanged.connect(self._show_address)
        self._show_address()
        self.remote_url = self._line(form, "Remote engine URL", settings.remote_url,
                                     "empty: this computer; e.g. http://192.168.1.20:8080/v1",
                                     "Answer with an OpenAI-compatible server (llama-server, Ollama, LM Studio, "
                                     "another Hearth) instead of this computer's model.")
        self.remote_model = self._line(form, "Remote model", settings.remote_model, "empty: the server's first model",
                                       "The model's name on that server.")
        self.remote_api_key = QLineEdit(settings.remote_api_key or "", self)
        self.remote_api_key.setPlaceholderText("if the server wants one")
        self.show_remote_api_key = reveal_button(self.remote_api_key, self)
        holder = QWidget(self)
        holder.setFocusProxy(self.remote_api_key)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.remote_api_key, 1)
        row.addWidget(self.show_remote_api_key)
        self._row(form, "Remote API key", holder, "Sent to the remote server when it asks for a key.")
        self._describe(self.remote_api_key, "Remote API key", holder.toolTip())
        self._caption(form, "Keys are kept in settings.json, which only you can read.")

    def _api_key_row(self, form: QFormLayout, key: str | None) -> None:
        """The key programs send (read-only), Copy, and New key (the old one stops working)."""
        self.api_key = QLineEdit(key or "", self)
        self.api_key.setReadOnly(True)
        self.api_key.setCursorPosition(0)  # the key's start in view
        self.show_api_key = reveal_button(self.api_key, self)
        self.api_key.setPlaceholderText("made when the API is switched on")
        self._describe(self.api_key, "API key", "Programs send this key (Authorization: Bearer KEY, or the "
                       "OpenAI client's api_key); requests without it are refused.")
        self.copy_api_key = QPushButton(icon("copy"), "Copy", self)
        self._describe(self.copy_api_key, "Copy the API key", "Copy the key to the clipboard")
        self.copy_api_key.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.api_key.text()))
        self.new_api_key = QPushButton(icon("arrows-clockwise"), "New key", self)
        self._describe(self.new_api_key, "Make a new API key",
                       "Replace the key: programs using the old one are refused once you press OK.")
        self.new_api_key.clicked.connect(lambda: self._set_api_key(new_api_key()))
        holder = QWidget(self)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.api_key, 1)
        row.addWidget(self.show_api_key)
        row.addWidget(self.copy_api_key)
        row.addWidget(self.new_api_key)
        caption = QLabel("API key", self)
        caption.setMinimumWidth(_LABEL_PX)
        caption.setBuddy(self.api_key)
        caption.setToolTip(self.api_key.toolTip())
        form.addRow(caption, holder)

    def _set_api_key(self, key: str) -> None:
        self.api_key.setText(key)
        self.api_key.setCursorPosition(0)

    def _show_address(self) -> None:
        enabled = self.api_enabled.isChecked()
        if enabled and not self.api_key.text():
            self._set_api_key(new_api_key())  # the API never runs without a key
        self.copy_api_key.setEnabled(bool(self.api_key.text()))
        self.api_port.setEnabled(enabled)
        port = self.api_port.value()
        where = f"http://127.0.0.1:{port}/v1" if port else "http://127.0.0.1 on a free port (shown in the status line)"
        self.api_address.setText(f"Address: {where}" if enabled else "The API is off.")

    # -- building blocks -----------------------------------------------------------------

    def _page(self, name: str) -> QFormLayout:
        page = QWidget(self)
        page.setObjectName(f"SettingsPage{name}")
        page.setAccessibleName(f"{name} settings")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(16, 8, 8, 8)
        heading = QLabel(name, page)
        heading.setObjectName("SettingsHeading")
        outer.addWidget(heading)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(form)
        outer.addStretch(1)
        self.pages[name] = page
        self.stack.addWidget(page)
        self.nav.addItem(name)
        self.nav.item(self.nav.count() - 1).setIcon(icon(PAGES[name]))
        return form

    @staticmethod
    def _describe(widget: QWidget, name: str, tip: str) -> None:
        widget.setAccessibleName(name)
        widget.setToolTip(tip)

    def _row(self, form: QFormLayout, label: str, widget: QWidget, tip: str) -> None:
        self._describe(widget, label, tip)
        caption = QLabel(label, self)
        caption.setMinimumWidth(_LABEL_PX)  # the fields start at the same place on every page
        caption.setBuddy(widget)
        caption.setToolTip(tip)
        form.addRow(caption, widget)

    def _caption(self, form: QFormLayout, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName("SettingsCaption")
        label.setWordWrap(True)
        form.addRow("", label)
        return label

    def _line(self, form: QFormLayout, label: str, value: str | None, hint: str, tip: str) -> QLineEdit:
        edit = QLineEdit(value or "", self)
        edit.setPlaceholderText(hint)
        self._row(form, label, edit, tip)
        return edit

    def _path_row(
        self, form: QFormLayout, label: str, value: str | None, file_filter: str | None, tip: str
    ) -> QLineEdit:
        edit = QLineEdit(value or "", self)
        edit.setPlaceholderText("the installed default")
        self._describe(edit, label, tip)
        browse = QPushButton("Browse…", self)
        self._describe(browse, f"Browse for the {label.lower()}", f"Choose the {label.lower()} on disk")

        def pick() -> None:
            if file_filter is None:
                chosen = QFileDialog.getExistingDirectory(self, label, edit.text())
            else:
                chosen, _ = QFileDialog.getOpenFileName(self, label, edit.text(), file_filter)
            if chosen:
                edit.setText(chosen)

        browse.clicked.connect(pick)
        holder = QWidget(self)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(browse)
        caption = QLabel(label, self)
        caption.setBuddy(edit)
        caption.setToolTip(tip)
        form.addRow(caption, holder)
        return edit


def _spin(spin: _Spin, low: float, high: float, value: float) -> _Spin:
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setMinimumWidth(140)
    spin.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)  # a number needs no full row
    return spin

