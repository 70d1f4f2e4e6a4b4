"""The settings dialog: models, generation, voice. Returns a new `Settings`; the app
saves and applies it."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
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
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop.core.settings import Settings

__all__ = ["SettingsDialog"]

_DEFAULT_MIC = "System default"


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, *, microphones: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hearth settings")
        self._settings = settings
        form = QFormLayout(self)

        self.model = self._path_row(form, "Chat model (GGUF)", settings.model_path, "GGUF models (*.gguf)")
        self.mmproj = self._path_row(form, "Vision projector (mmproj)", settings.mmproj_path,
                                     "GGUF projectors (*.gguf)")
        self.system_prompt = QPlainTextEdit(settings.system_prompt, self)
        self.system_prompt.setAccessibleName("System prompt")
        self.system_prompt.setFixedHeight(70)
        form.addRow("System prompt", self.system_prompt)
        self.temperature = self._spin(QDoubleSpinBox(self), 0.0, 2.0, settings.temperature, "Temperature")
        self.temperature.setSingleStep(0.1)
        form.addRow("Temperature", self.temperature)
        self.top_p = self._spin(QDoubleSpinBox(self), 0.0, 1.0, settings.top_p, "Top-p")
        self.top_p.setSingleStep(0.05)
        form.addRow("Top-p", self.top_p)
        self.n_ctx = self._spin(QSpinBox(self), 512, 262_144, settings.n_ctx, "Context length")
        self.n_ctx.setSingleStep(512)
        form.addRow("Context length (tokens)", self.n_ctx)
        self.gpu_offload = QCheckBox("Use the GPU when llama.cpp supports it", self)
        self.gpu_offload.setChecked(settings.gpu_offload)
        form.addRow("GPU offload", self.gpu_offload)

        self.microphone = QComboBox(self)
        self.microphone.setAccessibleName("Microphone")
        self.microphone.addItems([_DEFAULT_MIC, *microphones])
        if settings.microphone and settings.microphone not in microphones:
            self.microphone.addItem(settings.microphone)  # keep a device that is unplugged now
        self.microphone.setCurrentText(settings.microphone or _DEFAULT_MIC)
        form.addRow("Microphone", self.microphone)
        self.whisper = self._path_row(form, "Whisper model folder", settings.whisper_path, None)
        self.shortcut = QKeySequenceEdit(QKeySequence(settings.ptt_shortcut), self)
        self.shortcut.setAccessibleName("Push-to-talk shortcut")
        form.addRow("Push-to-talk (hold)", self.shortcut)
        self.send_after_speaking = QCheckBox("Send the question as soon as I stop speaking", self)
        self.send_after_speaking.setChecked(settings.send_after_speaking)
        form.addRow("Voice", self.send_after_speaking)

        self.remote_url = self._line(form, "Remote engine URL", settings.remote_url,
                                     "empty: this computer's llama.cpp; e.g. http://192.168.1.20:8080/v1")
        self.remote_model = self._line(form, "Remote model", settings.remote_model, "empty: the server's first model")
        self.remote_api_key = self._line(form, "Remote API key", settings.remote_api_key, "if the server wants one")
        self.remote_api_key.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.api_enabled = QCheckBox("Serve an OpenAI-compatible API on this computer (127.0.0.1)", self)
        self.api_enabled.setChecked(settings.api_enabled)
        self.api_port = self._spin(QSpinBox(self), 0, 65_535, settings.api_port, "API port")
        api_row = QHBoxLayout()
        api_row.setContentsMargins(0, 0, 0, 0)
        api_row.addWidget(self.api_enabled, 1)
        api_row.addWidget(self.api_port)
        api_holder = QWidget(self)
        api_holder.setLayout(api_row)
        form.addRow("Developer API", api_holder)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def result_settings(self) -> Settings:
        shortcut = self.shortcut.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        microphone = self.microphone.currentText()
        return self._settings.updated(
            model_path=self.model.text().strip() or None,
            mmproj_path=self.mmproj.text().strip() or None,
            whisper_path=self.whisper.text().strip() or None,
            system_prompt=self.system_prompt.toPlainText().strip(),
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            n_ctx=self.n_ctx.value(),
            gpu_offload=self.gpu_offload.isChecked(),
            microphone=None if microphone == _DEFAULT_MIC else microphone,
            ptt_shortcut=shortcut or "Ctrl+Space",
            send_after_speaking=self.send_after_speaking.isChecked(),
            remote_url=self.remote_url.text().strip() or None,
            remote_model=self.remote_model.text().strip() or None,
            remote_api_key=self.remote_api_key.text().strip() or None,
            api_enabled=self.api_enabled.isChecked(),
            api_port=self.api_port.value(),
        )

    def _path_row(self, form: QFormLayout, label: str, value: str | None, file_filter: str | None) -> QLineEdit:
        edit = QLineEdit(value or "", self)
        edit.setAccessibleName(label)
        edit.setPlaceholderText("the installed default")
        browse = QPushButton("Browse…", self)
        browse.setAccessibleName(f"Browse for {label.lower()}")

        def pick() -> None:
            if file_filter is None:
                chosen = QFileDialog.getExistingDirectory(self, label, edit.text())
            else:
                chosen, _ = QFileDialog.getOpenFileName(self, label, edit.text(), file_filter)
            if chosen:
                edit.setText(chosen)

        browse.clicked.connect(pick)
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(browse)
        holder = QWidget(self)
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow(label, holder)
        return edit

    def _line(self, form: QFormLayout, label: str, value: str | None, hint: str) -> QLineEdit:
        edit = QLineEdit(value or "", self)
        edit.setAccessibleName(label)
        edit.setPlaceholderText(hint)
        form.addRow(label, edit)
        return edit

    @staticmethod
    def _spin(spin: QSpinBox | QDoubleSpinBox, low: float, high: float, value: float, name: str):
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setAccessibleName(name)
        return spin
