"""Open any image a person may attach and make it safe and ready for the model.

Pillow reads it; EXIF orientation is applied; decompression bombs, huge files and
non-images are refused with one clear sentence; every mode (CMYK, 16-bit, grey,
palette, alpha, animated) becomes 8-bit RGB; the image is downsized to the model's
limit and returned as a `data:` URI, the only form handed to llama.cpp (a path or URL
would make llama-cpp-python open it itself).
"""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from desktop.core.conversation import Attachment
from desktop.core.errors import ImageError

__all__ = ["DEFAULT_MAX_SIDE", "MAX_FILE_BYTES", "MAX_PIXELS", "load_image", "normalise_image"]

MAX_PIXELS = 150_000_000  # above this a file is treated as a decompression bomb
MAX_FILE_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_SIDE = 2048
_FORMATS = "PNG, JPEG, WebP, GIF, BMP or TIFF"


def load_image(path: str | Path, *, max_side: int = DEFAULT_MAX_SIDE) -> Attachment:
    """Read `path` and return it normalised; raise `ImageError` with a clear message."""
    file = Path(path)
    name = file.name
    if not file.exists():
        raise ImageError(f"Image not found: {file}")
    if file.is_dir():
        raise ImageError(f"{name} is a folder, not an image.")
    size = file.stat().st_size
    if size == 0:
        raise ImageError(f"{name} is empty (0 bytes), not an image.")
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{name} is too large ({size // (1024 * 1024)} MB); the limit is 256 MB.")
    return normalise_image(file.read_bytes(), name=name, max_side=max_side)


def normalise_image(data: bytes, *, name: str = "image", max_side: int = DEFAULT_MAX_SIDE) -> Attachment:
    """Decode encoded image bytes (from a file or the clipboard) into an `Attachment`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{name} is too large ({width}×{height} pixels); the limit is "
                    f"{MAX_PIXELS // 1_000_000} megapixels."
                )
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced scale
            image.load()
            rgb = _to_rgb(ImageOps.exif_transpose(image))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"{name} is too large to open safely ({error}).") from error
    except UnidentifiedImageError as error:
        raise ImageError(f"{name} is not an image Hearth can read ({_FORMATS}).") from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageError(f"{name} is damaged or truncated and cannot be read.") from error
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    rgb.save(buffer, format="PNG", compress_level=1)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return Attachment(data_uri=uri, width=rgb.width, height=rgb.height, source_name=name)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is laid over white."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        image = _high_depth_to_l(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16/32-bit integer or float grey to 8-bit grey, keeping the tonal range."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        top = 1.0 if values.max(initial=0.0) <= 1.0 else float(values.max())
    else:
        top = 65535.0 if values.max(initial=0.0) > 255 else 255.0
    scaled = np.clip(values / max(top, 1e-12) * 255.0, 0, 255).round().astype(np.uint8)
    return Image.fromarray(scaled)  # 2-D uint8 is mode "L"
