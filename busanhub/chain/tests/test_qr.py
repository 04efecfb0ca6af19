"""QR codes are drawn once per text and then read from the shared cache."""

import base64
import uuid

from django.core.cache import cache

from busanhub.chain import qr


def test_a_qr_code_is_drawn_once_then_read_from_the_cache():
    # Given a text no test drew before
    text = f"https://busanhub.example/verify/{uuid.uuid4().hex}"
    key = qr.cache_key(text)
    try:
        # When its QR code is asked for
        first = qr.svg_data_uri(text)

        # Then it is an SVG data URI, kept in the cache under the text's key
        assert first.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(first.split(",", 1)[1]).lstrip().startswith(b"<?xml")
        assert cache.get(key) == first
        # and the next request reads the cache instead of drawing again
        cache.set(key, "data:image/svg+xml;base64,Y2FjaGVk")
        assert qr.svg_data_uri(text) == "data:image/svg+xml;base64,Y2FjaGVk"
        # and another text has its own image
        other = qr.svg_data_uri(text + "0")
        assert other.startswith("data:image/svg+xml;base64,") and other != first
    finally:
        cache.delete_many([key, qr.cache_key(text + "0")])
