"""JPEG and PNG: decoded with Pillow under a pixel limit and re-encoded.

The stored file is the re-encoded one, never the upload. Re-encoding is what neutralises the
"image + payload" polyglots (a PHP script, a ZIP or a PDF appended after the JPEG end marker or
the PNG IEND chunk, or hidden in a comment or metadata segment): only decoded pixels survive.
It also strips EXIF (GPS position, camera serial), XMP, ICC profiles and text chunks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageFile, ImageOps

from .errors import CORRUPT, IMAGE_TOO_LARGE, UploadRejected
from .sniff import FileKind


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 40_000_000
    """40 Mpx: an A3 page scanned at 600 dpi is about 70 Mpx, an A4 one at 300 dpi 8.7 Mpx."""
    max_side: int = 20_000
    jpeg_quality: int = 90


class _HashingWriter:
    """A write-only file that hashes what passes through (SM3 of the stored bytes)."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self.digest = hashlib.new("sm3")
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._target.write(data)

    def flush(self) -> None:
        self._target.flush()


def reencode(source: BinaryIO, kind: FileKind, target: BinaryIO, limits: ImageLimits) -> tuple[int, str]:
    """Decode ``source`` and write a clean re-encoding to ``target``; return (size, SM3 hex)."""
    source.seek(0)
    fmt = "JPEG" if kind is FileKind.JPEG else "PNG"
    try:
        # Image.open reads only the header: the dimensions are checked before any pixel is
        # decoded, so a 100000×100000 header costs nothing. Pillow's own bomb check fires at
        # 2 × MAX_IMAGE_PIXELS (≈ 179 Mpx); ours is lower.
        with Image.open(source, formats=[fmt]) as image:
            width, height = image.size
            if width * height > limits.max_pixels or max(width, height) > limits.max_side:
                raise UploadRejected(IMAGE_TOO_LARGE, f"{width}×{height}")
            # WeasyPrint sets the process-wide LOAD_TRUNCATED_IMAGES on import; a truncated upload
            # must still be refused, so decoding here is always strict.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            image.load()
            clean = _without_metadata(ImageOps.exif_transpose(image), kind)
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRejected(IMAGE_TOO_LARGE, str(exc)) from exc
    # Pillow raises many types for malformed input (OSError, SyntaxError, ValueError, struct.error…).
    except Exception as exc:
        raise UploadRejected(CORRUPT, f"{fmt}: {exc}") from exc
    writer = _HashingWriter(target)
    if kind is FileKind.JPEG:
        clean.save(writer, "JPEG", quality=limits.jpeg_quality, optimize=False)
    else:
        clean.save(writer, "PNG")
    writer.flush()
    return writer.size, writer.digest.hexdigest()


def _without_metadata(image: Image.Image, kind: FileKind) -> Image.Image:
    if kind is FileKind.JPEG:
        # Browsers show CMYK JPEGs badly; everything becomes 8-bit grey or RGB.
        image = image if image.mode in ("L", "RGB") else image.convert("RGB")
    elif image.mode not in ("1", "L", "LA", "RGB", "RGBA", "P", "I;16"):
        image = image.convert("RGBA")
    transparency = image.info.get("transparency")
    # The encoders copy icc_profile, exif, dpi and text from .info; an empty .info writes none.
    image.info = {"transparency": transparency} if transparency is not None else {}
    return image
