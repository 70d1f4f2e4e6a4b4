"""Names print as one harmless line; only regular files are ever opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.core.errors import AudioError
from desktop.core.safe_files import open_regular, printable


@pytest.mark.parametrize(("name", "shown"), [
    ("plain-model.gguf", "plain-model.gguf"),
    ("two\nlines.gguf", "two\\nlines.gguf"),
    ("red\x1b[31m.gguf", "red\\x1b[31m.gguf"),
    ("cr\rtab\t.gguf", "cr\\rtab\\t.gguf"),
    ("c1\x9bcsi.gguf", "c1\\x9bcsi.gguf"),  # the one-byte CSI some terminals obey
    ("del\x7f.gguf", "del\\x7f.gguf"),
    ("bidi\u202egguf.exe", "bidi\\u202egguf.exe"),  # right-to-left override hides the real suffix
    ("line\u2028sep", "line\\u2028sep"),
    (os.fsdecode(b"latin\xe9.gguf"), "latin\\xe9.gguf"),  # a byte that is not UTF-8
    ("caf\u00e9 \u6a21\u578b \u2026.gguf", "caf\u00e9 \u6a21\u578b \u2026.gguf"),  # printable text is kept
])
def test_printable_escapes_every_control_character(name, shown):
    assert printable(name) == shown
    assert printable(Path(name)) == shown
    assert printable(printable(name)) == shown  # escaping twice changes nothing
    assert printable(name).isprintable()


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "question.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioError, match=r"question\.wav is a named pipe \(FIFO\), not a WAV file\."):
        open_regular(fifo, AudioError, what="a WAV file")


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a device"), ("/", "a folder")])
def test_devices_and_folders_are_refused(path, kind):
    with pytest.raises(AudioError, match=f"is {kind}, not a file"):
        open_regular(path, AudioError)


def test_links_are_followed_only_when_asked(tmp_path):
    target = tmp_path / "real.bin"
    target.write_bytes(b"data")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    with open_regular(link, AudioError) as handle:
        assert handle.read() == b"data"
    with pytest.raises(AudioError, match=r"link\.bin is a symbolic link"):
        open_regular(link, AudioError, follow_links=False)
    (tmp_path / "to-zero").symlink_to("/dev/zero")
    with pytest.raises(AudioError, match="to-zero is a device"):
        open_regular(tmp_path / "to-zero", AudioError)


def test_missing_file_names_the_path_on_one_line(tmp_path):
    with pytest.raises(AudioError) as caught:
        open_regular(tmp_path / "gone\n.wav", AudioError)
    assert "not found" in str(caught.value) and "\n" not in str(caught.value)
