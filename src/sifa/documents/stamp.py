"""The visible seal: a red round stamp with the organisation's name around a five-pointed star.

Drawn with Pillow as a transparent PNG (GB/T 38540 describes the electronic seal image; the
layout follows the usual 公章: name along the upper arc, clockwise, star in the centre, the
purpose below it). The image is only a picture: what makes a document authentic is the PAdES
signature behind it and the detached SM2 signature (``sifa.documents.sealing``).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (214, 0, 0, 255)
SIZE = 600
"""Pixels across; at 40 mm on paper that is about 380 dpi, enough for print."""
DEFAULT_FONT = ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2)  # index 2 = SC in the collection
PURPOSE = "电子印章"


@lru_cache(maxsize=1)
def _font_file() -> tuple[str, int]:
    """Noto Serif CJK SC Bold as fontconfig resolves it (Debian ``fonts-noto-cjk``)."""
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            result = subprocess.run(  # noqa: S603 — fixed argument list, no shell
                [fc_match, "-f", "%{file}:%{index}", "Noto Serif CJK SC:style=Bold"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
            path, _, index = result.stdout.strip().rpartition(":")
            if path.lower().endswith((".ttc", ".otf", ".ttf")):
                return path, int(index or 0)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    return DEFAULT_FONT


def _font(size: int) -> ImageFont.FreeTypeFont:
    path, index = _font_file()
    return ImageFont.truetype(path, size=size, index=index)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def _glyph(char: str, font: ImageFont.FreeTypeFont, size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((size / 2, size / 2), char, font=font, fill=SEAL_RED, anchor="mm")
    return image


@lru_cache(maxsize=64)
def seal_image(name: str, purpose: str = PURPOSE) -> Image.Image:
    """The stamp for ``name`` as an RGBA image (cached: one drawing per organisation and process)."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = SIZE / 2
    ring = SIZE * 0.035
    draw.ellipse((ring / 2, ring / 2, SIZE - ring / 2, SIZE - ring / 2), outline=SEAL_RED, width=round(ring))
    _star(draw, centre, centre, SIZE * 0.16)

    chars = list(name) or [" "]
    # Long names get smaller characters and a wider arc, as engravers do.
    char_size = round(SIZE * (0.13 if len(chars) <= 10 else max(0.07, 1.2 / len(chars))))
    font = _font(char_size)
    span = math.radians(min(250.0, 24.0 * len(chars) + 40.0))
    radius = centre - ring - char_size * 0.72
    cell = round(char_size * 1.5)
    for index, char in enumerate(chars):
        # Angle from twelve o'clock, clockwise; each character's foot points to the centre.
        theta = -span / 2 + span * (index + 0.5) / len(chars)
        glyph = _glyph(char, font, cell).rotate(-math.degrees(theta), resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.sin(theta) - cell / 2
        y = centre - radius * math.cos(theta) - cell / 2
        image.alpha_composite(glyph, (round(x), round(y)))

    if purpose:
        draw.text(
            (centre, centre + SIZE * 0.29),
            purpose,
            font=_font(round(SIZE * 0.075)),
            fill=SEAL_RED,
            anchor="mm",
        )
    # One colour everywhere and the shape only in the alpha channel: the colour plane then
    # compresses to almost nothing in the PDF, and anti-aliased edges stay pure red.
    alpha = image.getchannel("A")
    return Image.merge("RGBA", (*Image.new("RGB", image.size, SEAL_RED[:3]).split(), alpha))
