"""The window serves its own engine as an OpenAI-compatible API, and can use another
server as its engine."""

from __future__ import annotations

import openai
import pytest

from desktop.app import HearthApp
from desktop.core.paths import HearthPaths
from desktop.core.settings import load_settings, save_settings


def start(qtbot, settings_changes: dict) -> HearthApp:
    paths = HearthPaths.from_environment().ensure()
    settings = load_settings(paths.settings_file).updated(**settings_changes)
    save_settings(paths.settings_file, settings)
    app = HearthApp(paths, settings)
    qtbot.addWidget(app.window)
    app.window.show()
    return app


@pytest.fixture
def apps(qtbot, cli_home):
    made: list[HearthApp] = []
    yield lambda changes: made.append(start(qtbot, changes)) or made[-1]
    for app in made:
        app.shutdown()


def test_the_window_serves_its_engine_and_the_switch_turns_it_off(qtbot, apps):
    app = apps({"api_enabled": True, "api_port": 0, "temperature": 0.0})
    qtbot.waitUntil(lambda: "ctx" in app.window.model_label.text(), timeout=60_000)
    label = app.window.api_label.text()
    assert label.startswith("API: http://127.0.0.1:") and label.endswith("/v1")
    address = label.removeprefix("API: ")
    key = app.settings.api_key
    assert key and len(key) >= 40  # made on first enable, and saved
    assert load_settings(app.paths.settings_file).api_key == key
    with openai.OpenAI(base_url=address, api_key="none", max_retries=0) as stranger, \
            pytest.raises(openai.AuthenticationError):
        stranger.models.list()
    with openai.OpenAI(base_url=address, api_key=key, max_retries=0) as client:
        model = client.models.list().data[0].id
        reply = client.chat.completions.create(
            model=model, temperature=0, max_tokens=8,
            messages=[{"role": "user", "content": "What is the capital of France? Answer with one word."}])
        assert "Paris" in reply.choices[0].message.content
        app.apply_settings(app.settings.updated(api_enabled=False))
        assert app.window.api_label.text() == ""
        with pytest.raises(openai.APIConnectionError):
            client.models.list()


def test_a_remote_engine_answers_in_the_window(qtbot, apps, llama_cpp_server):
    app = apps({"remote_url": llama_cpp_server, "temperature": 0.0})
    qtbot.waitUntil(lambda: "remote" in app.window.model_label.text(), timeout=60_000)
    assert app.window.model_label.text().startswith("qwen-0.5b + vision · remote http://127.0.0.1:")
    app.window.composer.edit.setPlainText("What is the capital of France? Answer with one word.")
    with qtbot.waitSignal(app.session.answerFinished, timeout=120_000) as done:
        app.window.composer.send()
    assert "Paris" in done.args[0].text


def test_changing_the_remote_address_switches_the_engine(qtbot, apps, llama_cpp_server):
    """Only the local model's settings were compared: a new remote address kept the old
    engine answering."""
    app = apps({"remote_url": llama_cpp_server, "temperature": 0.0})
    qtbot.waitUntil(lambda: "remote" in app.window.model_label.text(), timeout=60_000)
    first = app.engine
    app.apply_settings(app.settings.updated(remote_url="http://127.0.0.1:9/v1"))
    assert app.engine is not first and app.engine.config.base_url == "http://127.0.0.1:9/v1"
    qtbot.waitUntil(lambda: "Could not reach" in app.window.composer.notice.text(), timeout=60_000)
    app.apply_settings(app.settings.updated(remote_url=None))  # back to this computer's llama.cpp
    qtbot.waitUntil(lambda: "ctx" in app.window.model_label.text(), timeout=60_000)
    assert "remote" not in app.window.model_label.text()


def test_a_remote_engine_that_is_down_keeps_what_was_typed(qtbot, apps):
    app = apps({"remote_url": "http://127.0.0.1:9/v1"})
    qtbot.waitUntil(lambda: "Could not reach" in app.window.composer.notice.text(), timeout=60_000)
    assert app.window.model_label.text() == "No model loaded"
    app.window.composer.edit.setPlainText("Is anyone there?")
    with qtbot.waitSignal(app.session.failed, timeout=60_000) as failed:
        app.window.composer.send()
    assert "Could not reach the remote engine at http://127.0.0.1:9/v1" in failed.args[0]
    # the question stays in the conversation (and its history), so Regenerate can retry it
    assert [b.text for b in app.window.chat.bubbles] == ["Is anyone there?"]
    qtbot.waitUntil(lambda: app.window.sidebar.highlighted_id() is not None)  # saved, and open


def test_the_settings_dialog_switches_the_api(qtbot, apps):
    app = apps({})
    assert app.window.api_label.text() == ""
    dialog = app.open_settings()
    dialog.api_enabled.setChecked(True)
    dialog.api_port.setValue(0)
    dialog.remote_url.setText("   ")  # blank: stays on this computer's llama.cpp
    dialog.accept()
    assert app.window.api_label.text().startswith("API: http://127.0.0.1:")
    assert app.settings.api_enabled and app.settings.remote_url is None
    first_key = app.settings.api_key
    assert first_key
    dialog = app.open_settings()
    assert dialog.api_enabled.isChecked() and dialog.api_key.text() == first_key
    dialog.new_api_key.click()
    dialog.accept()
    second_key = app.settings.api_key
    assert second_key != first_key and load_settings(app.paths.settings_file).api_key == second_key
    address = app.window.api_label.text().removeprefix("API: ")
    with openai.OpenAI(base_url=address, api_key=first_key, max_retries=0) as old_client, \
            pytest.raises(openai.AuthenticationError):
        old_client.models.list()
    with openai.OpenAI(base_url=address, api_key=second_key, max_retries=0) as client:
        assert client.models.list().data
    dialog = app.open_settings()
    dialog.api_enabled.setChecked(False)
    dialog.accept()
    assert app.window.api_label.text() == "" and app.api_server is None
    assert app.settings.api_key == second_key  # kept for the next time it is switched on


def test_a_remote_engine_with_no_local_model_installed(qtbot, isolated_home):
    """With only a remote engine, asking what the app keeps open or pairing a projector
    raised inside a Qt slot (the local engine's files were computed, and there were none)."""
    app = start(qtbot, {"remote_url": "http://127.0.0.1:9/v1"})
    try:
        assert app.choice.local is None and app._in_use() == set()
        dialog = app.open_models()
        app.set_default_model("mmproj", "projector.gguf")
        assert dialog.status.text().startswith("No chat model is installed")
        assert app.settings.mmproj_path is None
    finally:
        app.shutdown()
