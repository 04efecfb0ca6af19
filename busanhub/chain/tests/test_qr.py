"""QR codes are drawn once per text and then read from the shared cache."""

import base64
import random
import string
import uuid

import qrcode
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


def test_the_drawing_has_exactly_the_dark_modules_of_the_code():
    # Given a text and the modules qrcode computes for it
    text = "https://busanhub.example/verify/" + "0f" * 32
    expected = qr.modules(text)

    # When it is drawn
    svg = base64.b64decode(qr._draw(text).split(",", 1)[1]).decode()

    # Then the path's rectangles (one per run of dark modules in a row) cover the dark modules
    # and nothing else
    size = len(expected)
    assert f'viewBox="0 0 {size} {size}"' in svg
    drawn = [[False] * size for _ in range(size)]
    path = svg.split(' d="', 1)[1].split('"', 1)[0]
    for rectangle in path.split("z")[:-1]:
        start, width = rectangle[1:].split("h", 1)
        x, y = (int(n) for n in start.split(","))
        for column in range(x, x + int(width.split("v", 1)[0])):
            assert not drawn[y][column]  # no module drawn twice
            drawn[y][column] = True
    assert drawn == expected
    assert any(any(row) for row in expected) and not all(all(row) for row in expected)


def test_the_modules_are_those_qrcode_makes_for_any_text_and_version():
    # Given texts of every kind and length: verification URLs, numbers, alphanumerics, bytes
    # and Korean, from version 1 to version 14 (the last two have version information)
    generator = random.Random(19)
    hexdigits = "0123456789abcdef"
    texts = [
        "https://busanhub.example/verify/0x" + "".join(generator.choices(hexdigits, k=64))
        for _ in range(40)
    ]
    texts += ["".join(generator.choices(string.printable, k=n)) for n in (1, 17, 90, 250, 600)]
    texts += ["7" * 40, "HELLO BUSAN 2026", "부산 시민 " * 20]

    for text in texts:
        # When the modules are computed
        computed = qr.modules(text)

        # Then they are exactly qrcode's, mask choice included
        code = qrcode.QRCode(border=qr.BORDER)
        code.add_data(text)
        code.make(fit=True)
        assert computed == code.get_matrix(), text
