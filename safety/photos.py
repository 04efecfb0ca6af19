"""Photo evidence: check, decode and re-encode uploads with Pillow (no Django imports).

The original bytes are kept for staff and their SHA-256 goes into the anchored envelope; the
public copy is a fresh re-encode from pixels only, so no EXIF (GPS included), ICC text or
trailing bytes survive in it.
"""

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 5
MAX_PIXELS = 40_000_000
PUBLIC_MAX_SIDE = 1600
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue; the caller translates it."""
    return message


class PhotoError(ValueError):
    """An upload that is not an acceptable photo; `code` names the reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProcessedPhoto:
    original: bytes
    original_content_type: str
    sha256: str
    public: bytes
    public_content_type: str
    width: int
    height: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def process_photo(data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES) -> ProcessedPhoto:
    """Validates one upload and returns the original plus a metadata-free public JPEG.

    Raises PhotoError("too_large" | "empty" | "not_image" | "format" | "too_many_pixels").
    """
    if not data:
        raise PhotoError("empty", gettext_noop("The photo file is empty."))
    if len(data) > max_bytes:
        raise PhotoError("too_large", gettext_noop("The photo is larger than the 10 MB limit."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise PhotoError("too_many_pixels", gettext_noop("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = upright.convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(
            "not_image", gettext_noop("The file is not a readable JPEG, PNG or WebP image.")
        ) from None
    if image_format not in ALLOWED_FORMATS:
        raise PhotoError("format", gettext_noop("Only JPEG, PNG and WebP photos are accepted."))
    pixels.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
    buffer = io.BytesIO()
    # A fresh image from raw pixels: nothing of the original's metadata is carried over.
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)
    clean.save(buffer, format="JPEG", quality=85, optimize=True)
    return ProcessedPhoto(
        original=data,
        original_content_type=ALLOWED_FORMATS[image_format],
        sha256=sha256_hex(data),
        public=buffer.getvalue(),
        public_content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
    )
