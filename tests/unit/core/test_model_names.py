"""Names people read for model files, and the model picker's choices (pure, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from tests_helpers import write_tiny_language_model

from desktop.core.catalog import Catalog, read_catalog
from desktop.core.gguf_info import read_gguf_info
from desktop.core.model_names import ModelChoice, friendly_name, model_choices, readable_stem
from desktop.core.paths import repository_dir

CATALOG = read_catalog(repository_dir() / "models" / "catalog.toml")
EMPTY = Catalog(())


@dataclass(frozen=True)
class Installed:
    name: str
    role: str


def test_a_catalog_file_gets_the_catalog_title_with_its_quant():
    assert friendly_name("gemma-3-4b-it-Q4_K_M.gguf", CATALOG) == "Gemma 3 4B Instruct · Q4_K_M"
    assert friendly_name("SmolVLM2-500M-Video-Instruct-Q8_0.gguf", CATALOG) == "SmolVLM2 500M Video Instruct · Q8_0"


def test_a_catalog_whisper_folder_and_a_split_model_get_their_titles():
    assert friendly_name("whisper-base", CATALOG) == "Whisper base"
    scout = CATALOG.get("llama-4-scout")
    assert friendly_name(scout.model_file.filename, CATALOG) == f"{scout.title} · Q4_K_M"


@pytest.mark.parametrize(("file", "expected"), [
    ("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "Qwen2.5 Coder 0.5B Instruct · Q4_K_M"),
    ("gemma-3-270m-q4_k_m.gguf", "Gemma 3 270M · Q4_K_M"),
    ("Mistral-7B-Instruct-v0.3.IQ3_XS.gguf", "Mistral 7B Instruct v0.3 · IQ3_XS"),
    ("gemma-3-4b-it-f16.gguf", "Gemma 3 4B IT · F16"),
    ("Big-Model-Q4_K_M-00001-of-00003.gguf", "Big Model · Q4_K_M"),
    ("whisper-tiny.en", "Whisper Tiny.en"),
    ("plain.gguf", "Plain"),
])
def test_an_unknown_file_gets_a_readable_stem_that_keeps_the_quant(file, expected):
    assert friendly_name(file, CATALOG) == expected == readable_stem(file)


def test_the_gguf_general_name_is_never_used(tmp_path):
    """Converters copy general.name from wherever the weights came from: "AWQ" on a
    Q4_K_M file says the wrong thing, so the name comes from the file name."""
    model = write_tiny_language_model(tmp_path / "tiny-chat-q4_k_m.gguf", name="AWQ")
    assert read_gguf_info(model).name == "AWQ"  # the header really says so
    assert friendly_name(model.name, CATALOG) == "Tiny Chat · Q4_K_M"
    [choice] = model_choices([Installed(model.name, "chat")], models_dir=tmp_path, catalog=CATALOG, with_vision=())
    assert choice.name == "Tiny Chat · Q4_K_M"


def test_choices_list_chat_models_then_whisper_models_with_vision_marks():
    folder = Path("/models")
    installed = [
        Installed("whisper-tiny.en", "whisper"),
        Installed("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "chat"),
        Installed("gemma-3-4b-it-Q4_K_M.gguf", "chat"),
        Installed("gemma-3-4b-mmproj-model-f16.gguf", "mmproj"),
        Installed("gemma-3-270m-q4_k_m.gguf", "plumbing"),
        Installed("whisper-base", "whisper"),
    ]
    choices = model_choices(installed, models_dir=folder, catalog=CATALOG,
                            with_vision={"/models/gemma-3-4b-it-Q4_K_M.gguf"})
    assert choices == [
        ModelChoice("/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "Qwen2.5 Coder 0.5B Instruct · Q4_K_M",
                    False, "chat"),
        ModelChoice("/models/gemma-3-4b-it-Q4_K_M.gguf", "Gemma 3 4B Instruct · Q4_K_M", True, "chat"),
        ModelChoice("/models/whisper-tiny.en", "Whisper Tiny.en", False, "whisper"),
        ModelChoice("/models/whisper-base", "Whisper base", False, "whisper"),
    ]


def test_the_plumbing_model_and_outside_files_are_listed_only_when_current():
    folder = Path("/models")
    installed = [Installed("a-q4_k_m.gguf", "chat"), Installed("gemma-3-270m-q4_k_m.gguf", "plumbing")]
    choices = model_choices(installed, models_dir=folder, catalog=EMPTY, with_vision={"/elsewhere/b-q8_0.gguf"},
                            chat="/models/gemma-3-270m-q4_k_m.gguf", whisper="/elsewhere/whisper-small")
    assert [(c.name, c.role) for c in choices] == [
        ("A · Q4_K_M", "chat"), ("Gemma 3 270M · Q4_K_M", "chat"), ("Whisper Small", "whisper")]
    outside = model_choices(installed, models_dir=folder, catalog=EMPTY, with_vision={"/elsewhere/b-q8_0.gguf"},
                            chat="/elsewhere/b-q8_0.gguf")
    assert [(c.path, c.vision) for c in outside] == [
        ("/models/a-q4_k_m.gguf", False), ("/elsewhere/b-q8_0.gguf", True)]


def test_the_plumbing_model_is_listed_once_a_projector_is_paired_with_it():
    installed = [Installed("a-q4_k_m.gguf", "chat"), Installed("gemma-3-270m-q4_k_m.gguf", "plumbing")]
    choices = model_choices(installed, models_dir=Path("/models"), catalog=EMPTY,
                            with_vision={"/models/gemma-3-270m-q4_k_m.gguf"})
    assert [(c.name, c.vision) for c in choices] == [("A · Q4_K_M", False), ("Gemma 3 270M · Q4_K_M", True)]
