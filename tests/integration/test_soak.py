"""A soak: 300 turns through the real engine, text and image, without growing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image

from desktop.core.conversation import Message
from desktop.core.engine_types import GenerationOptions
from desktop.core.images import load_image

TURNS = 300
SHORT = GenerationOptions(temperature=0.0, max_tokens=2)


def anonymous_rss_bytes() -> int:
    """Heap and other private memory. The model file is mmapped: its pages come and go
    in VmRSS as the kernel pleases, so they are not a leak signal."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["RssAnon"].split()[0]) * 1024


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_300_turns_do_not_leak(qwen_vision, tmp_path):
    """100 image turns (a new image every 10th, encoded afresh; the others reuse the
    cached one) and 200 text turns. Private memory may not grow by more than 50 MB after
    a warm-up, and no thread or file handle may be left behind."""
    pictures = []
    for number in range(10):
        Image.new("RGB", (64, 48), (number * 20 % 255, 90, 200)).save(tmp_path / f"{number}.png")
        pictures.append(load_image(tmp_path / f"{number}.png", max_side=224))

    def turn(number: int) -> None:
        images = (pictures[number // 10 % 10],) if number % 300 < 100 else ()
        text = f"Turn {number}: say a colour." if images else f"Turn {number}: what is {number} plus one?"
        answer = qwen_vision.ask([Message.user(text, images)], options=SHORT).result()
        assert answer.stats.completion_tokens >= 1

    for number in [*range(60), *range(100, 130)]:  # warm-up: allocator arenas, compute buffers (~50 MB, once)
        turn(number)
    threads, files, memory = set(threading.enumerate()), open_files(), anonymous_rss_bytes()
    for number in range(TURNS):
        turn(number)
    grown = anonymous_rss_bytes() - memory
    assert grown <= 50 * 2**20, f"private memory grew by {grown / 2**20:.1f} MB over {TURNS} turns"
    assert set(threading.enumerate()) == threads
    assert open_files() <= files
