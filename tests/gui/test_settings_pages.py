"""The settings dialog alone: its four pages, plain-words descriptions, a GPU setting
that says why it is off, and settings that come back exactly as they went in."""

from __future__ import annotations

from dataclasses import fields

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QKeySequenceEdit,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QWidget,
)

from desktop.core.settings import Settings
from desktop.gui.settings_dialog import SettingsDialog

CPU_ONLY = "This build of llama.cpp runs on the CPU only."
CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QKeySequenceEdit, QLineEdit, QListWidget, QPlainTextEdit)
EVERY_FIELD_CHANGED = Settings(
    model_path="/m/chat.gguf", mmproj_path="/m/mmproj.gguf", whisper_path="/m/whisper-base",
    system_prompt="Be brief.", temperature=1.3, top_p=0.5, n_ctx=8192, gpu_offload=False,
    microphone="USB mic", ptt_shortcut="Ctrl+Shift+T", send_after_speaking=True, api_enabled=True,
    api_port=9000, api_key="key-of-this-api", remote_url="http://10.0.0.2:8080/v1", remote_model="llama",
    remote_api_key="secret", appearance="dark", keep_in_tray=True, quick_ask_key="Ctrl+Alt+K", read_aloud=True,
    voice="en_US-joe-medium",
)


def make(qtbot, settings: Settings | None = None, **kwargs) -> SettingsDialog:
    dialog = SettingsDialog(settings or Settings(), microphones=["USB mic", "Built-in"], **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def controls(dialog: SettingsDialog) -> list[QWidget]:
    """The widgets a person operates (not the line edits inside spin boxes and the like)."""
    inner = (QAbstractSpinBox, QKeySequenceEdit, QComboBox)
    return [w for w in dialog.findChildren(QWidget)
            if isinstance(w, CONTROLS) and not isinstance(w.parent(), inner)]


def page_of(dialog: SettingsDialog, widget: QWidget) -> str:
    return next(name for name, page in dialog.pages.items() if page.isAncestorOf(widget))


def test_four_pages_hold_their_settings(qtbot):
    dialog = make(qtbot)
    assert list(dialog.pages) == ["General", "Models", "Voice", "Developer"]
    assert [dialog.nav.item(i).text() for i in range(dialog.nav.count())] == list(dialog.pages)
    expected = {
        "General": [dialog.appearance, dialog.system_prompt, dialog.temperature, dialog.top_p, dialog.n_ctx,
                    dialog.keep_in_tray, dialog.quick_ask_key],
        "Models": [dialog.model, dialog.mmproj, dialog.gpu_offload, dialog.manage_models],
        "Voice": [dialog.microphone, dialog.whisper, dialog.shortcut, dialog.send_after_speaking, dialog.read_aloud,
                  dialog.voice],
        "Developer": [dialog.api_enabled, dialog.api_port, dialog.api_address, dialog.api_key,
                      dialog.copy_api_key, dialog.new_api_key, dialog.remote_url, dialog.remote_model,
                      dialog.remote_api_key],
    }
    for name, widgets in expected.items():
        assert [page_of(dialog, w) for w in widgets] == [name] * len(widgets)


def test_the_list_switches_pages(qtbot):
    dialog = make(qtbot)
    dialog.show()
    assert dialog.stack.currentWidget() is dialog.pages["General"]
    dialog.nav.setFocus()
    qtbot.keyClick(dialog.nav, Qt.Key.Key_Down)
    assert dialog.stack.currentWidget() is dialog.pages["Models"]
    dialog.show_page("Developer")
    assert dialog.stack.currentWidget() is dialog.pages["Developer"] and dialog.nav.currentRow() == 3


def test_every_control_has_an_accessible_name_and_a_tooltip(qtbot):
    dialog = make(qtbot)
    found = controls(dialog)
    assert len(found) >= 23  # 17 settings, 3 browse buttons, the manager button, Copy and New key,
    # the page list, OK/Cancel
    missing = [(type(w).__name__, w.accessibleName(), w.toolTip()) for w in found
               if not w.accessibleName() or not w.toolTip()]
    assert missing == []


def test_settings_are_named_in_plain_words(qtbot):
    dialog = make(qtbot)
    assert dialog.temperature.accessibleName() == "Creativity (temperature)"
    assert dialog.top_p.accessibleName() == "Word choice (top-p)"
    assert "context length" in dialog.n_ctx.accessibleName()


@pytest.mark.parametrize("saved", [True, False])
def test_gpu_note_disables_offload_shows_why_and_keeps_the_saved_choice(qtbot, saved):
    dialog = make(qtbot, Settings(gpu_offload=saved), gpu_note=CPU_ONLY)
    dialog.show()
    dialog.show_page("Models")
    assert not dialog.gpu_offload.isEnabled() and not dialog.gpu_offload.isChecked()
    assert dialog.gpu_note.isVisible() and dialog.gpu_note.text() == CPU_ONLY
    assert CPU_ONLY in dialog.gpu_offload.toolTip()
    assert dialog.result_settings().gpu_offload is saved


def test_without_a_gpu_note_offload_can_be_switched(qtbot):
    dialog = make(qtbot, Settings(gpu_offload=True))
    dialog.show()
    dialog.show_page("Models")
    assert dialog.gpu_offload.isEnabled() and dialog.gpu_offload.isChecked()
    assert not dialog.gpu_note.isVisible()
    dialog.gpu_offload.setChecked(False)
    assert dialog.result_settings().gpu_offload is False


@pytest.mark.parametrize("settings", [Settings(), EVERY_FIELD_CHANGED], ids=["defaults", "all-changed"])
def test_result_settings_round_trips_every_field(qtbot, settings):
    assert make(qtbot, settings).result_settings() == settings


def test_edits_come_back_in_the_result(qtbot):
    dialog = make(qtbot)
    dialog.temperature.setValue(0.0)
    dialog.n_ctx.setValue(16_384)
    dialog.microphone.setCurrentText("Built-in")
    dialog.whisper.setText("  /w/whisper-small ")
    dialog.remote_url.setText("   ")
    dialog.api_enabled.setChecked(True)
    dialog.api_port.setValue(0)
    result = dialog.result_settings()
    assert (result.temperature, result.n_ctx, result.microphone) == (0.0, 16_384, "Built-in")
    assert result.whisper_path == "/w/whisper-small" and result.remote_url is None
    assert result.api_enabled and result.api_port == 0
    assert {f.name for f in fields(Settings)} == set(vars(result))  # nothing added or lost


def test_the_api_address_follows_the_switch_and_port(qtbot):
    dialog = make(qtbot, Settings(api_enabled=False, api_port=8765))
    assert dialog.api_address.text() == "The API is off." and not dialog.api_port.isEnabled()
    dialog.api_enabled.setChecked(True)
    assert "http://127.0.0.1:8765/v1" in dialog.api_address.text() and dialog.api_port.isEnabled()
    dialog.api_port.setValue(9001)
    assert "http://127.0.0.1:9001/v1" in dialog.api_address.text()


def test_the_api_key_is_made_on_first_enable_and_can_be_copied_and_renewed(qtbot):
    dialog = make(qtbot, Settings(api_enabled=False, api_key=None))
    dialog.show()
    dialog.show_page("Developer")
    assert dialog.api_key.text() == "" and dialog.api_key.isReadOnly() and not dialog.copy_api_key.isEnabled()
    assert dialog.result_settings().api_key is None  # nothing made while the API stays off
    dialog.api_enabled.setChecked(True)
    first = dialog.api_key.text()
    assert len(first) >= 40 and dialog.copy_api_key.isEnabled()
    qtbot.mouseClick(dialog.copy_api_key, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == first
    qtbot.mouseClick(dialog.new_api_key, Qt.MouseButton.LeftButton)
    second = dialog.api_key.text()
    assert len(second) >= 40 and second != first
    assert dialog.result_settings().api_key == second


def test_a_saved_api_key_is_shown_and_kept(qtbot):
    dialog = make(qtbot, Settings(api_enabled=True, api_key="saved-key"))
    assert dialog.api_key.text() == "saved-key"
    dialog.api_enabled.setChecked(False)
    dialog.api_enabled.setChecked(True)
    assert dialog.result_settings().api_key == "saved-key"


def test_an_unplugged_microphone_is_kept(qtbot):
    dialog = make(qtbot, Settings(microphone="Old headset"))
    assert dialog.microphone.currentText() == "Old headset"
    assert dialog.result_settings().microphone == "Old headset"


def test_the_models_page_button_asks_for_the_model_manager(qtbot):
    dialog = make(qtbot)
    dialog.show()
    dialog.show_page("Models")
    with qtbot.waitSignal(dialog.modelsRequested):
        qtbot.mouseClick(dialog.manage_models, Qt.MouseButton.LeftButton)


def test_keys_are_hidden_until_their_eye_is_pressed(qtbot):
    """Someone may see the screen: both keys show as dots; the eye (reached by Tab,
    toggled with Space) shows one and hides it again; the value is the same either way."""
    dialog = make(qtbot, EVERY_FIELD_CHANGED)
    dialog.show()
    dialog.show_page("Developer")
    for line, eye in ((dialog.api_key, dialog.show_api_key), (dialog.remote_api_key, dialog.show_remote_api_key)):
        assert line.echoMode() == QLineEdit.EchoMode.Password
        assert eye.focusPolicy() & Qt.FocusPolicy.TabFocus
        eye.setFocus()
        qtbot.keyClick(eye, Qt.Key.Key_Space)
        assert line.echoMode() == QLineEdit.EchoMode.Normal and eye.toolTip() == "Hide the key"
        qtbot.keyClick(eye, Qt.Key.Key_Space)
        assert line.echoMode() == QLineEdit.EchoMode.Password
    result = dialog.result_settings()
    assert (result.api_key, result.remote_api_key) == ("key-of-this-api", "secret")


def test_no_tray_and_no_global_key_are_explained(qtbot):
    """A desktop without a tray keeps the saved choice but cannot change it; where no
    global key can be had, the page says why."""
    dialog = make(qtbot, Settings(keep_in_tray=True), tray=False,
                  quick_ask_note="Wayland gives apps no global keys yet.")
    dialog.show()
    assert not dialog.keep_in_tray.isEnabled() and "no tray" in dialog.keep_in_tray.toolTip()
    assert dialog.result_settings().keep_in_tray is True
    assert dialog.quick_ask_note.isVisible() and "Wayland" in dialog.quick_ask_note.text()
    assert not make(qtbot).quick_ask_note.isVisibleTo(dialog)
