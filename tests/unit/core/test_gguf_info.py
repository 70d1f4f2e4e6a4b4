from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from desktop.core.errors import ModelFileError
from desktop.core.gguf_info import check_pair, read_gguf_info
from desktop.services.models.projector_factory import write_test_projector


def test_real_chat_model_header(starter):
    info = read_gguf_info(starter.chat)
    assert info.architecture == "qwen2"
    assert info.embedding_length == 896
    assert info.has_chat_template
    assert not info.is_projector


def test_base_model_has_no_template(starter):
    info = read_gguf_info(starter.plumbing)
    assert info.architecture == "gemma3" and info.embedding_length == 640
    assert not info.has_chat_template


def test_generated_projector_header(tmp_path):
    info = read_gguf_info(write_test_projector(tmp_path / "p.gguf", text_width=640))
    assert info.is_projector and info.projector_type == "mlp"
    assert info.projection_dim == 640
    assert info.max_image_side == 224


def test_truncated_model_is_refused(tmp_path, starter):
    cut = tmp_path / "cut.gguf"
    with starter.plumbing.open("rb") as src:
        cut.write_bytes(src.read(50_000_000))
    with pytest.raises(ModelFileError, match="truncated"):
        read_gguf_info(cut)


def test_header_cut_short_is_refused(tmp_path, starter):
    cut = tmp_path / "stub.gguf"
    with starter.plumbing.open("rb") as src:
        cut.write_bytes(src.read(4096))
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        read_gguf_info(cut)


@pytest.mark.parametrize("content", [b"GGML" + b"\0" * 100, b"hello world", b""])
def test_non_gguf_is_refused(tmp_path, content):
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="not a GGUF"):
        read_gguf_info(path)


def test_missing_model(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        read_gguf_info(tmp_path / "none.gguf")


def test_pair_mismatch_names_both_widths(tmp_path, starter):
    projector = read_gguf_info(write_test_projector(tmp_path / "p.gguf", text_width=640))
    with pytest.raises(ModelFileError, match=r"640.*896"):
        check_pair(read_gguf_info(starter.chat), projector)
    check_pair(read_gguf_info(starter.plumbing), projector)  # 640 fits 640


def test_swapped_pair_is_refused(starter):
    with pytest.raises(ModelFileError, match="not a projector"):
        check_pair(read_gguf_info(starter.chat), read_gguf_info(starter.plumbing))


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_device_given_as_a_model_is_refused_unread(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "model.gguf"
        os.mkfifo(path)  # nothing ever writes to it: opening it to read would wait forever
    else:
        path = Path("/dev/zero")
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, path), daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive(), "reading a FIFO as a model hung"
    assert isinstance(outcome[0], ModelFileError)
    assert "not a GGUF model file" in str(outcome[0]) and "\n" not in str(outcome[0])


def _catch(outcome: list[BaseException], path: Path) -> None:
    try:
        read_gguf_info(path)
    except BaseException as error:  # the test inspects what came out
        outcome.append(error)


def test_a_changed_file_is_read_again_not_served_from_memory(tmp_path):
    path = tmp_path / "mmproj.gguf"
    write_test_projector(path, text_width=640)
    assert read_gguf_info(path).projection_dim == 640
    write_test_projector(path, text_width=896)  # replaced in place: another inode, size or time
    assert read_gguf_info(path).projection_dim == 896
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelFileError, match=r"truncated|damaged"):
        read_gguf_info(path)
