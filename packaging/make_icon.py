"""Draw Hearth's icon (a flame in a rounded square) with Pillow: assets/icon.png (512 px)
and the sizes the platforms ask for. Run again after changing the drawing."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def draw(size: int = 512) -> Image.Image:
    scale = size / 512
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((16 * scale, 16 * scale, 496 * scale, 496 * scale), radius=110 * scale,
                          fill=(43, 33, 30, 255))

    def flame(points: list[tuple[float, float]], colour: tuple[int, int, int, int]) -> None:
        pen.polygon([(x * scale, y * scale) for x, y in points], fill=colour)

    flame([(256, 78), (330, 190), (372, 280), (366, 352), (330, 404), (256, 432), (182, 404), (146, 352),
           (140, 280), (180, 206), (214, 236), (228, 160)], (236, 102, 38, 255))
    flame([(256, 206), (300, 272), (316, 330), (300, 380), (256, 404), (212, 380), (196, 330), (214, 280),
           (236, 300)], (250, 186, 60, 255))
    pen.rounded_rectangle((150 * scale, 440 * scale, 362 * scale, 462 * scale), radius=10 * scale,
                          fill=(120, 84, 60, 255))
    return image.filter(ImageFilter.SMOOTH)


def main() -> None:
    icon = draw()
    icon.save(ASSETS / "icon.png")
    icon.save(ASSETS / "icon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    icon.save(ASSETS / "icon.icns")  # the macOS .app's icon (Pillow writes the sizes up to 512)


if __name__ == "__main__":
    main()
