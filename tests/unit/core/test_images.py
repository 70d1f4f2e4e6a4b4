from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop.core.errors import ImageError
from desktop.core.images import load_image, normalise_image


def decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def save(tmp_path: Path, image: Image.Image, name: str, **kwargs) -> Path:
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


def test_plain_rgb_becomes_png_data_uri(tmp_path):
    path = save(tmp_path, Image.new("RGB", (40, 30), (10, 200, 30)), "green.jpg", quality=95)
    att = load_image(path)
    assert (att.width, att.height) == (40, 30)
    pixel = decode(att.data_uri).convert("RGB").getpixel((20, 15))
    assert abs(pixel[1] - 200) < 8 and pixel[0] < 30
    assert att.source_name == "green.jpg"


@pytest.mark.parametrize(
    ("mode", "color", "fmt", "suffix"),
    [
        ("CMYK", (0, 255, 255, 0), "JPEG", "jpg"),  # pure red in CMYK
        ("L", 128, "PNG", "png"),
        ("LA", (128, 255), "PNG", "png"),
        ("P", 3, "GIF", "gif"),
        ("RGBA", (255, 0, 0, 255), "WEBP", "webp"),
        ("RGB", (0, 0, 255), "BMP", "bmp"),
        ("RGB", (0, 0, 255), "TIFF", "tiff"),
    ],
)
def test_odd_but_valid_modes_become_rgb(tmp_path, mode, color, fmt, suffix):
    path = save(tmp_path, Image.new(mode, (16, 16), color), f"odd.{suffix}", format=fmt)
    image = decode(load_image(path).data_uri)
    assert image.mode == "RGB"
    assert image.size == (16, 16)


def test_sixteen_bit_grey_keeps_tonal_range(tmp_path):
    values = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    image = np.asarray(decode(load_image(path).data_uri).convert("L"))
    assert image.min() <= 2 and image.max() >= 253  # not clipped to black or white


def test_transparency_is_laid_over_white(tmp_path):
    path = save(tmp_path, Image.new("RGBA", (8, 8), (255, 0, 0, 0)), "clear.png")
    assert decode(load_image(path).data_uri).getpixel((4, 4)) == (255, 255, 255)


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.new("P", (10, 10), i) for i in range(3)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    att = load_image(path)
    assert (att.width, att.height) == (10, 10)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (60, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    path = save(tmp_path, image, "rotated.jpg", exif=exif.tobytes())
    att = load_image(path)
    assert (att.width, att.height) == (20, 60)


def test_large_image_is_downsized_to_model_limit(tmp_path):
    path = save(tmp_path, Image.new("RGB", (4000, 1000), (1, 2, 3)), "wide.png")
    att = load_image(path, max_side=224)
    assert (att.width, att.height) == (224, 56)


def test_decompression_bomb_is_refused(tmp_path):
    # A valid PNG header claiming 40000×40000 pixels: tiny file, enormous image.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    path = tmp_path / "bomb.png"
    path.write_bytes(png)
    with pytest.raises(ImageError, match="too large"):
        load_image(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not pixels\n", "not an image"),
        (b"", "empty"),
    ],
)
def test_non_images_are_refused(tmp_path, content, message):
    path = tmp_path / "fake.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        load_image(path)


def test_truncated_image_is_refused(tmp_path):
    good = save(tmp_path, Image.effect_noise((256, 256), 50).convert("RGB"), "full.png")
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:600])
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(cut)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="not found"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)


def test_clipboard_bytes_are_normalised():
    buffer = io.BytesIO()
    Image.new("RGB", (5, 7), (9, 9, 9)).save(buffer, format="PNG")
    att = normalise_image(buffer.getvalue(), name="clipboard")
    assert (att.width, att.height) == (5, 7)
