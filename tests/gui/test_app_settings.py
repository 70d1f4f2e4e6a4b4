"""The composed app (HearthApp) with real models: settings, export, rename, theme, quit."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desktop.app import HearthApp
from desktop.core.paths import HearthPaths
from desktop.core.settings import load_settings


@pytest.fixture
def hearth(qtbot, cli_home):
    paths = HearthPaths.from_environment().ensure()
    app = HearthApp(paths, load_settings(paths.settings_file))
    qtbot.addWidget(app.window)
    app.window.show()
    qtbot.waitUntil(lambda: "ctx" in app.window.model_label.text(), timeout=60_000)
    yield app
    app.shutdown()


def ask(qtbot, app, text):
    app.window.composer.edit.setPlainText(text)
    with qtbot.waitSignal(app.session.answerFinished, timeout=120_000) as blocker:
        app.window.composer.send()
    return blocker.args[0]


def test_starter_models_say_how_to_get_a_real_vision_model(qtbot, hearth):
    tip = hearth.window.tip
    assert tip.isVisible() and "cannot really see images" in tip.label.text() and "Ctrl+Shift+M" in tip.label.text()
    qtbot.mouseClick(tip.action_button, Qt.MouseButton.LeftButton)
    assert hearth.models_dialog is not None
    qtbot.waitUntil(hearth.models_dialog.isVisible)
    hearth.models_dialog.close()
    qtbot.mouseClick(tip.close_button, Qt.MouseButton.LeftButton)
    assert not tip.isVisible()


def test_settings_are_saved_and_applied(qtbot, hearth, starter):
    assert hearth.window.tip.isVisible()  # the starter projector
    dialog = hearth.open_settings()
    dialog.temperature.setValue(0.0)
    dialog.system_prompt.setPlainText("Always answer in one word.")
    dialog.send_after_speaking.setChecked(True)
    dialog.model.setText(str(starter.plumbing))
    dialog.mmproj.setText("")
    dialog.shortcut.setKeySequence("Ctrl+Shift+T")
    with qtbot.waitSignal(hearth.session.engineReady, timeout=60_000) as blocker:
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
    assert blocker.args[0].model_name.startswith("Gemma")
    saved = json.loads(hearth.paths.settings_file.read_text())
    assert saved["temperature"] == 0.0 and saved["send_after_speaking"] is True
    assert saved["system_prompt"] == "Always answer in one word."
    assert saved["ptt_shortcut"] == "Ctrl+Shift+T"
    assert saved["model_path"] == str(starter.plumbing)
    assert hearth.session.options.temperature == 0.0
    assert hearth.session.system_prompt == "Always answer in one word."
    qtbot.waitUntil(lambda: "Gemma" in hearth.window.model_label.text())
    assert not hearth.window.composer.vision  # the new model has no projector
    assert not hearth.window.tip.isVisible()  # ... so no tip about the test projector
    assert hearth.window.talk_key == Qt.Key.Key_T
    answer = ask(qtbot, hearth, "Hello")
    assert answer.stats.completion_tokens >= 1  # the new engine answers


def test_a_broken_model_in_settings_is_reported_and_the_app_lives(qtbot, hearth, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with qtbot.waitSignal(hearth.session.engineFailed, timeout=60_000) as blocker:
        hearth.apply_settings(hearth.settings.updated(model_path=str(broken)))
    assert "broken.gguf" in blocker.args[0]
    assert "broken.gguf" in hearth.window.composer.notice.text()
    assert hearth.window.model_label.text() == "No model loaded"


def test_export_and_rename(qtbot, hearth, tmp_path):
    hearth.settings = hearth.settings.updated(temperature=0.0)
    hearth.session.options = hearth.session.options.__class__(temperature=0.0, max_tokens=8)
    ask(qtbot, hearth, "Say hi.")
    qtbot.waitUntil(lambda: hearth.window.sidebar.highlighted_id() is not None)
    with qtbot.waitSignal(hearth.session.conversationsChanged, timeout=10_000) as blocker:
        hearth.window.renameRequested.emit(hearth.window.sidebar.highlighted_id(), "Greetings")
    assert blocker.args[0][0].title == "Greetings"
    conversation = blocker.args[0][0].id
    target = tmp_path / "out.json"
    hearth.window.exportRequested.emit(conversation, str(target))
    qtbot.waitUntil(target.exists, timeout=10_000)
    data = json.loads(target.read_text())
    assert data["title"] == "Greetings" and [m["role"] for m in data["messages"]] == ["user", "assistant"]
    markdown = tmp_path / "out.md"
    hearth.window.exportRequested.emit(conversation, str(markdown))
    qtbot.waitUntil(markdown.exists, timeout=10_000)
    assert markdown.read_text().startswith("# Greetings")


def test_dark_theme_recolours_the_window_and_code(qtbot, hearth):
    """Dark/light follows the OS (Qt's colour scheme or palette); the theme re-applies
    the palette and stylesheet, and answers re-colour their code."""
    from desktop.core.conversation import Message
    from desktop.gui.chat.code_block import CodeBlock

    bubble = hearth.window.chat.add_message(Message.assistant("```python\nimport os\n```"))
    hearth.window.show()
    code = bubble.view.findChild(CodeBlock)
    qtbot.waitUntil(code.isVisible)
    hearth.theme.force("light")
    light = code.grab().toImage()
    try:
        hearth.theme.force("dark")
        qtbot.waitUntil(lambda: code.grab().toImage() != light)
        assert hearth.window.chat.viewport().palette().color(hearth.window.chat.viewport().backgroundRole()).name() \
            == "#1e1f22"
    finally:
        hearth.theme.force(None)


def test_appearance_in_settings_pins_light_or_dark_and_is_kept(qtbot, hearth):
    """Settings → General → Appearance: dark or light whatever the system says, saved."""
    viewport = hearth.window.chat.viewport()
    try:
        hearth.apply_settings(hearth.settings.updated(appearance="dark"))
        assert viewport.palette().color(viewport.backgroundRole()).name() == "#1e1f22"
        assert load_settings(hearth.paths.settings_file).appearance == "dark"
        hearth.apply_settings(hearth.settings.updated(appearance="light"))
        assert viewport.palette().color(viewport.backgroundRole()).name() != "#1e1f22"
    finally:
        hearth.theme.force(None)


def test_closing_mid_answer_exits_cleanly(qtbot, hearth):
    hearth.session.options = hearth.session.options.__class__(temperature=0.8, max_tokens=500)
    hearth.window.composer.edit.setPlainText("Write a very long essay about mountains.")
    with qtbot.waitSignal(hearth.session.answerDelta, timeout=60_000):
        hearth.window.composer.send()
    hearth.window.close()
    hearth.shutdown()  # what aboutToQuit runs; it must cancel, store and join promptly
    assert not hearth.session.is_alive
    assert not hearth.engine.is_alive
    from desktop.services.history.conversation_store import ConversationStore

    store = ConversationStore(hearth.paths.history_db)
    try:
        kept = [s for s in store.messages(store.conversations()[0].id)]
    finally:
        store.close()
    assert [s.message.role for s in kept] == ["user", "assistant"]  # the stopped answer is kept
    assert kept[1].message.text and kept[1].details.stats.finish_reason == "cancelled"


def test_the_window_remembers_its_size_sidebar_and_conversation(qtbot, cli_home):
    paths = HearthPaths.from_environment().ensure()
    first = HearthApp(paths, load_settings(paths.settings_file))
    qtbot.addWidget(first.window)
    first.window.show()
    first.window.resize(760, 560)  # the offscreen screen is 800x600; narrow: the sidebar folds away
    assert not first.window.sidebar.isVisible()
    first.window.toggle_sidebar()  # Ctrl+B brings it back, and the person drags it wider
    first.window.splitter.moveSplitter(300, 1)
    first.session.options = first.session.options.__class__(temperature=0.0, max_tokens=4)
    ask(qtbot, first, "Hello.")
    conversation = first.chat.current
    assert conversation > 0
    first.shutdown()
    saved = load_settings(paths.settings_file)
    assert saved.last_conversation == conversation and saved.sidebar_width == 300 and saved.window_geometry
    assert saved.vision_tip_seen  # the starter projector's notice was shown once

    second = HearthApp(paths, saved)
    qtbot.addWidget(second.window)
    second.window.show()
    try:
        assert (second.window.width(), second.window.height()) == (760, 560)
        second.window.toggle_sidebar()
        assert second.window.splitter.sizes()[0] == 300
        assert not second.window.tip.isVisible()  # shown once, not at every start
        qtbot.waitUntil(lambda: [b.text for b in second.window.chat.bubbles][:1] == ["Hello."], timeout=30_000)
        assert second.window.sidebar.highlighted_id() == conversation
    finally:
        second.shutdown()


def test_settings_say_why_gpu_offload_is_off(qtbot, hearth):
    dialog = hearth.open_settings()
    assert not dialog.gpu_offload.isEnabled()  # this machine's build runs on the CPU only
    assert "CPU" in dialog.gpu_offload.toolTip()
    dialog.reject()
