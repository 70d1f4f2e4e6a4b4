"""The header's model picker, alone and bound to a models folder (no model is loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget
from tests_helpers import write_tiny_language_model

from desktop.app.model_choices import ModelPickerBinding
from desktop.core.catalog import Catalog
from desktop.core.model_names import ModelChoice
from desktop.core.settings import Settings
from desktop.gui.model_picker import MAX_TEXT_PX, SPEECH_TIP, VISION_TIP, ModelPicker
from desktop.services.models.model_store import ModelStore
from desktop.services.models.projector_factory import write_test_projector
from desktop.services.models.starter_models import TEST_PROJECTOR

QWEN = ModelChoice("/m/qwen-q4_k_m.gguf", "Qwen · Q4_K_M", False, "chat")
GEMMA = ModelChoice("/m/gemma-3-4b-it-Q4_K_M.gguf", "Gemma 3 4B Instruct · Q4_K_M", True, "chat")
TINY_EN = ModelChoice("/m/whisper-tiny.en", "Whisper Tiny.en", False, "whisper")
BASE = ModelChoice("/m/whisper-base", "Whisper base", False, "whisper")
CHOICES = [QWEN, GEMMA, TINY_EN, BASE]


@pytest.fixture
def picker(qtbot):
    widget = ModelPicker()
    qtbot.addWidget(widget)
    widget.set_choices(CHOICES, chat=QWEN.path, whisper=TINY_EN.path)
    widget.show()
    return widget


def action(picker: ModelPicker, text: str):
    return next(a for a in picker.menu().actions() if a.text() == text)


def model_actions(picker: ModelPicker) -> list[tuple[str, bool]]:
    return [(a.text(), a.isChecked()) for a in picker.menu().actions() if a.data()]


def test_it_lists_chat_then_speech_models_and_ends_with_manage(picker):
    texts = [a.text() for a in picker.menu().actions() if not a.isSeparator()]
    assert texts == ["Chat models", QWEN.name, GEMMA.name, "Speech models", TINY_EN.name, BASE.name,
                     "Manage models…"]
    assert model_actions(picker) == [(QWEN.name, True), (GEMMA.name, False), (TINY_EN.name, True),
                                     (BASE.name, False)]
    assert [a.font().bold() for a in picker.menu().actions() if a.data()] == [True, False, True, False]
    assert picker.text() == QWEN.name and picker.objectName() == "ModelPicker"
    assert picker.accessibleName() == "Model"
    assert picker.focusPolicy() & Qt.FocusPolicy.TabFocus  # Tab reaches it; Space opens its menu
    assert "Speech: Whisper Tiny.en" in picker.toolTip()


def test_vision_and_speech_models_are_marked(picker):
    gemma, qwen, tiny = action(picker, GEMMA.name), action(picker, QWEN.name), action(picker, TINY_EN.name)
    assert not gemma.icon().isNull() and gemma.toolTip().startswith(VISION_TIP)
    assert qwen.icon().isNull() and VISION_TIP not in qwen.toolTip()
    assert not tiny.icon().isNull() and tiny.toolTip().startswith(SPEECH_TIP)
    assert VISION_TIP not in picker.toolTip()
    picker.set_choices(CHOICES, chat=GEMMA.path, whisper=None)
    assert VISION_TIP in picker.toolTip() and picker.full_text() == GEMMA.name


def test_picking_another_model_emits_once(qtbot, picker):
    seen: list[tuple[str, str]] = []
    picker.modelChosen.connect(lambda role, path: seen.append((role, path)))
    with qtbot.waitSignal(picker.modelChosen) as blocker:
        action(picker, GEMMA.name).trigger()
    assert blocker.args == ["chat", GEMMA.path]
    action(picker, GEMMA.name).trigger()  # the current one again: nothing to change
    action(picker, BASE.name).trigger()
    assert seen == [("chat", GEMMA.path), ("whisper", BASE.path)]
    assert picker.full_text() == GEMMA.name
    assert model_actions(picker) == [(QWEN.name, False), (GEMMA.name, True), (TINY_EN.name, False),
                                     (BASE.name, True)]


def test_set_choices_emits_nothing(qtbot, picker):
    with qtbot.assertNotEmitted(picker.modelChosen), qtbot.assertNotEmitted(picker.manageRequested):
        picker.set_choices(CHOICES, chat=GEMMA.path, whisper=BASE.path)
        picker.set_choices([], chat=None, whisper=None)
    assert picker.text() == "No model"
    entries = [a for a in picker.menu().actions() if not a.isSeparator()]
    assert [(a.text(), a.isEnabled()) for a in entries] == [
        ("Chat models", False), ("No chat model installed", False), ("Speech models", False),
        ("No speech model installed", False), ("Manage models…", True)]


def test_manage_models_emits_manage_requested(qtbot, picker):
    with qtbot.waitSignal(picker.manageRequested):
        action(picker, "Manage models…").trigger()


def test_a_long_name_is_elided_to_fit_a_narrow_header(qtbot):
    long = ModelChoice("/m/x.gguf", "A Very Long Model Name With Many Words In It 70B Instruct · Q4_K_M", True, "chat")
    header = QWidget()
    qtbot.addWidget(header)
    row = QHBoxLayout(header)
    row.addWidget(QLabel("A conversation about the weather in the mountains"), 1)
    picker = ModelPicker(header)
    row.addWidget(picker)
    picker.set_choices([long], chat=long.path, whisper=None)
    header.resize(800, 48)
    header.show()
    qtbot.waitExposed(header)
    assert picker.full_text() == long.name and long.name in picker.toolTip()
    assert picker.text().endswith("…") and picker.width() <= MAX_TEXT_PX + 80
    assert picker.fontMetrics().horizontalAdvance(picker.text()) <= MAX_TEXT_PX
    picker.resize(130, picker.height())
    assert picker.text().endswith("…") and len(picker.text()) < 15
    picker.resize(picker.sizeHint())
    assert picker.fontMetrics().horizontalAdvance(picker.text()) > 130  # widens again


# -- bound to a models folder ----------------------------------------------------------


@dataclass
class FakeApp:
    """HearthApp's side of the binding: settings, defaults, the manager."""

    models_dir: Path
    settings: Settings = field(default_factory=Settings)
    defaults: list[tuple[str, str]] = field(default_factory=list)
    manager_opened: int = 0

    def set_default_model(self, role: str, name: str) -> None:
        self.defaults.append((role, name))
        self.settings = self.settings.with_default(role, str(self.models_dir / name))

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings

    def open_models(self) -> None:
        self.manager_opened += 1


@pytest.fixture
def store(tmp_path):
    store = ModelStore(tmp_path / "models")
    store.models_dir.mkdir()
    write_tiny_language_model(store.models_dir / "tiny-chat-q4_k_m.gguf", width=640, name="AWQ")
    write_tiny_language_model(store.models_dir / "other-q8_0.gguf", width=320)
    write_test_projector(store.models_dir / "tiny-mmproj.gguf", text_width=640)
    (store.models_dir / "whisper-tiny.en").mkdir()
    (store.models_dir / "whisper-tiny.en" / "model.bin").write_bytes(b"w")
    for name, role in (("tiny-chat-q4_k_m.gguf", "chat"), ("other-q8_0.gguf", "chat"),
                       ("tiny-mmproj.gguf", "mmproj"), ("whisper-tiny.en", "whisper")):
        store.record(store.describe(name, role, "test"))
    return store


def bound(qtbot, store: ModelStore, app: FakeApp) -> ModelPicker:
    picker = ModelPicker()
    qtbot.addWidget(picker)
    ModelPickerBinding(picker, app, store=store, catalog=Catalog(()))
    return picker


def test_the_binding_fills_the_picker_from_the_models_folder(qtbot, store):
    picker = bound(qtbot, store, FakeApp(store.models_dir))
    assert model_actions(picker) == [("Tiny Chat · Q4_K_M", True), ("Other · Q8_0", False),
                                     ("Whisper Tiny.en", True)]  # the header's "AWQ" is not shown
    assert action(picker, "Tiny Chat · Q4_K_M").toolTip().startswith(VISION_TIP)  # its projector pairs
    assert not action(picker, "Other · Q8_0").toolTip().startswith(VISION_TIP)


def test_a_pick_becomes_the_default_and_manage_opens_the_manager(qtbot, store):
    app = FakeApp(store.models_dir)
    app.settings = app.settings.updated(model_path=str(store.models_dir / "tiny-chat-q4_k_m.gguf"))
    picker = bound(qtbot, store, app)
    action(picker, "Other · Q8_0").trigger()
    assert app.defaults == [("chat", "other-q8_0.gguf")]
    assert model_actions(picker)[:2] == [("Tiny Chat · Q4_K_M", False), ("Other · Q8_0", True)]
    assert picker.full_text() == "Other · Q8_0"
    action(picker, "Manage models…").trigger()
    assert app.manager_opened == 1


def test_the_starter_test_projector_does_not_claim_vision(qtbot, store):
    store.remove("tiny-mmproj.gguf")
    write_test_projector(store.models_dir / TEST_PROJECTOR, text_width=640)
    store.record(store.describe(TEST_PROJECTOR, "mmproj", "test"))
    picker = bound(qtbot, store, FakeApp(store.models_dir))
    assert not action(picker, "Tiny Chat · Q4_K_M").toolTip().startswith(VISION_TIP)


def test_with_a_remote_engine_the_picker_says_so_and_a_local_pick_turns_it_off(qtbot, store):
    """The header named the local model while a remote one answered."""
    app = FakeApp(store.models_dir)
    app.settings = app.settings.updated(remote_url="http://127.0.0.1:9/v1", remote_model="llama-70b")
    picker = bound(qtbot, store, app)
    assert picker.full_text() == "llama-70b · remote"
    assert "remote engine answers" in picker.toolTip()
    action(picker, "Other · Q8_0").trigger()
    assert app.settings.remote_url is None
    assert app.settings.model_path == str(store.models_dir / "other-q8_0.gguf")
    assert picker.full_text() == "Other · Q8_0"
