"""Photo evidence: check, decode and re-encode uploads with Pillow (no Django imports).

The original bytes are kept for staff and their SHA-256 goes into the anchored envelope; the
public copy is a fresh re-encode from pixels only, so no EXIF (GPS included), ICC text or
trailing bytes survive in it.

Decoding is what costs: a 131 KB PNG can declare 6300x6300 pixels, 119 MB once decoded. So a
photo is handled in two steps:

- `photo_check` reads the header only (`Image.open` parses it and decodes nothing) and refuses
  a format other than JPEG/PNG/WebP and more pixels than the budget, before any pixel is
  decoded; Pillow's own bomb check (`DecompressionBombError`/`Warning`) ends as the same refusal.
- `photo_decode` decodes at reduced size where the format allows it (JPEG: `draft`, the
  decoder's 1/2-1/8 DCT scaling, straight to the first scale that fits the public size, which
  is then not resampled; PNG and WebP decode whole, then `thumbnail` reduces by the whole
  part of the factor (a box filter) before resampling the rest), keeps one full-size copy at
  a time, and runs inside a `DecodeSlots` slot, which bounds how many decodes one process runs
  at once (so its memory).
"""

import hashlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 5
MAX_PIXELS = 16_000_000  # default pixel budget; settings.SAFETY_PHOTO_MAX_PIXELS overrides it
PUBLIC_MAX_SIDE = 1600
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# What Pillow raises on a file that is not an image, is cut short or is corrupt.
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError)
BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue; the caller translates it."""
    return message


class PhotoError(ValueError):
    """An upload that is not an acceptable photo; `code` names the reason, `params` fill the
    (untranslated) message once the caller has translated it."""

    def __init__(self, code: str, message: str, params: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params or {}


class DecodeSlotsBusy(Exception):
    """No decode slot came free within the wait: the process is busy, the photo may be fine."""


@dataclass(frozen=True)
class PhotoHeader:
    """What the header says, read without decoding a pixel."""

    data: bytes
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    original: bytes
    original_content_type: str
    sha256: str
    public: bytes
    public_content_type: str
    width: int
    height: int


@dataclass
class DecodeSlots:
    """At most `size` decodes at once in this process; `hold` waits up to `timeout` seconds for
    a free slot and raises DecodeSlotsBusy when none came free."""

    size: int
    _semaphore: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self):
        if self.size < 1:
            raise ValueError("DecodeSlots needs at least one slot.")
        self._semaphore = threading.BoundedSemaphore(self.size)

    @contextmanager
    def hold(self, *, timeout: float) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=max(timeout, 0)):
            raise DecodeSlotsBusy(f"no decode slot free within {timeout} s")
        try:
            yield
        finally:
            self._semaphore.release()


_slots_lock = threading.Lock()
_slots: DecodeSlots | None = None


def decode_slots(size: int) -> DecodeSlots:
    """The process's decode slots, made on first use with `size` (and made again if the
    configured size changes, e.g. in tests; decodes already holding an old slot finish)."""
    global _slots
    with _slots_lock:
        if _slots is None or _slots.size != size:
            _slots = DecodeSlots(size)
        return _slots


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _too_many_pixels(max_pixels: int) -> PhotoError:
    return PhotoError(
        "too_many_pixels",
        gettext_noop("The photo has more pixels than the %(limit)s megapixel limit."),
        {"limit": f"{max_pixels / 1_000_000:g}"},
    )


def _not_image() -> PhotoError:
    return PhotoError(
        "not_image", gettext_noop("The file is not a readable JPEG, PNG or WebP image.")
    )


def _damaged() -> PhotoError:
    return PhotoError(
        "damaged", gettext_noop("The photo file is damaged or incomplete. Send it again.")
    )


def photo_check(
    data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES, max_pixels: int = MAX_PIXELS
) -> PhotoHeader:
    """Checks one upload from its header alone: size in bytes, format, pixel count, and the
    file's structure (`verify`: chunk CRCs and lengths for PNG); decodes no pixel.

    Raises PhotoError("empty" | "too_large" | "not_image" | "format" | "too_many_pixels" |
    "damaged").
    """
    if Image.MAX_IMAGE_PIXELS is not None:
        # Above Pillow's own limit, Image.open only warns; ours must stay the stricter one.
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    if not data:
        raise PhotoError("empty", gettext_noop("The photo file is empty."))
    if len(data) > max_bytes:
        raise PhotoError("too_large", gettext_noop("The photo is larger than the 10 MB limit."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
    except BOMB_ERRORS:
        # Over Pillow's own limit (Image.MAX_IMAGE_PIXELS), far over ours.
        raise _too_many_pixels(max_pixels) from None
    except DECODE_ERRORS:
        raise _not_image() from None
    if image_format not in ALLOWED_FORMATS:
        raise PhotoError("format", gettext_noop("Only JPEG, PNG and WebP photos are accepted."))
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
    except BOMB_ERRORS:
        raise _too_many_pixels(max_pixels) from None
    except DECODE_ERRORS:
        raise _damaged() from None
    return PhotoHeader(data=data, format=image_format, width=width, height=height)


def _fitted(width: int, height: int, side: int) -> tuple[int, int]:
    """The size `thumbnail((side, side))` gives (aspect ratio kept), at least 1x1."""
    scale = min(side / width, side / height, 1)
    return max(int(width * scale), 1), max(int(height * scale), 1)


def _dct_scale(width: int, height: int, side: int) -> int:
    """The smallest JPEG DCT scaling denominator (1, 2, 4, 8) that brings both sides within
    `side`; 8 when none does (then `thumbnail` reduces the rest)."""
    for scale in (1, 2, 4):
        if -(-max(width, height) // scale) <= side:
            return scale
    return 8


def photo_decode(header: PhotoHeader) -> ProcessedPhoto:
    """Decodes a checked photo into a metadata-free public JPEG of at most PUBLIC_MAX_SIDE
    pixels a side, at reduced size where the format allows (see the module docstring).

    A JPEG is decoded straight at the smallest DCT scale (1/2, 1/4, 1/8) that fits the public
    size, and that is its public size: no resampling, which cost more than the decode (a 2048 x
    1536 photo gives a 1024 x 768 copy; its side lies between half of PUBLIC_MAX_SIDE and all
    of it). PNG and WebP are decoded whole and resampled to fit.

    Raises PhotoError("damaged") when the pixels cannot be decoded (truncated or corrupt data).
    Call it inside a `DecodeSlots` slot: the full-size decode is what uses memory.
    """
    # Image's context manager does not free the pixels; close() does, so it is called as soon
    # as a smaller copy exists: one full-size copy at a time.
    image: Image.Image | None = None
    try:
        image = Image.open(io.BytesIO(header.data))
        if image.format == "JPEG":
            scale = _dct_scale(image.width, image.height, PUBLIC_MAX_SIDE)
            # draft picks the largest scale the requested size allows: floor, not ceiling.
            image.draft(None, (max(image.width // scale, 1), max(image.height // scale, 1)))
        image.load()
        if image.mode not in ("RGB", "L"):
            # Palette, alpha, CMYK, 16-bit: to RGB first (alpha dropped), as before.
            converted = image.convert("RGB")
            image.close()
            image = converted
        # reducing_gap 1: a 4000 px side is halved by `reduce` before the bicubic resample of the
        # rest (Pillow's default, 2, resamples all of it: 160 vs 90 ms a 16 Mpx PNG; mean error
        # against Lanczos 1.6 vs 0.6 levels of 255, below what the JPEG encode adds).
        image.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE), reducing_gap=1.0)
        ImageOps.exif_transpose(image, in_place=True)
        # A fresh image from raw pixels (paste converts "L" to RGB): nothing of the original's
        # metadata is carried over (Pillow's JPEG save would copy `info["comment"]`).
        clean = Image.new("RGB", image.size)
        clean.paste(image)
    except DECODE_ERRORS:
        raise _damaged() from None
    finally:
        if image is not None:
            image.close()
    buffer = io.BytesIO()
    # No `optimize`: its second Huffman pass more than doubled the encode's CPU (14 vs 6 ms a
    # 1600 x 1200 copy).
    clean.save(buffer, format="JPEG", quality=85)
    return ProcessedPhoto(
        original=header.data,
        original_content_type=ALLOWED_FORMATS[header.format],
        sha256=sha256_hex(header.data),
        public=buffer.getvalue(),
        public_content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
    )


def process_photo(
    data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES, max_pixels: int = MAX_PIXELS
) -> ProcessedPhoto:
    """`photo_check` then `photo_decode`, without a decode slot (callers that decode on behalf
    of requests use the two steps and hold a slot around the second)."""
    return photo_decode(photo_check(data, max_bytes=max_bytes, max_pixels=max_pixels))
