"""QR codes as SVG data URIs (allowed by the CSP's img-src data:)."""

import base64
import hashlib
import io

import qrcode
import qrcode.image.svg
from django.core.cache import cache

# A text's image never changes; a day in the cache keeps a busy record's page from drawing it
# again while letting the cache forget records nobody looks at.
CACHE_SECONDS = 24 * 3600


def cache_key(text: str) -> str:
    return "qr-svg:" + hashlib.sha256(text.encode()).hexdigest()


def svg_data_uri(text: str) -> str:
    """The QR code of `text` as a data URI. Drawing one costs about 10 ms of CPU (most of a
    /verify/<digest> page), so it is drawn once per text and kept in the shared cache; the key
    is a hash of the text, so only a caller who has the text can find its image."""
    key = cache_key(text)
    uri = cache.get(key)
    if uri is None:
        uri = _draw(text)
        cache.set(key, uri, CACHE_SECONDS)
    return uri


def _draw(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
