"""QR codes as SVG data URIs (allowed by the CSP's img-src data:)."""

import base64
import hashlib

from django.core.cache import cache

from busanhub.chain import qr_matrix

# A text's image never changes; a day in the cache keeps a busy record's page from drawing it
# again while letting the cache forget records nobody looks at.
CACHE_SECONDS = 24 * 3600
BORDER = 2  # modules of quiet zone around the code
MODULE_MM = 0.8  # the size qrcode's SVG image gave a module (box_size 8)


def cache_key(text: str) -> str:
    return "qr-svg:" + hashlib.sha256(text.encode()).hexdigest()


def svg_data_uri(text: str) -> str:
    """The QR code of `text` as a data URI. Drawing one costs about 2 ms of CPU (10 ms before
    qr_matrix: most of a /verify/<digest> page), so it is drawn once per text and kept in the
    shared cache; the key is a hash of the text, so only a caller who has the text can find its
    image."""
    key = cache_key(text)
    uri = cache.get(key)
    if uri is None:
        uri = _draw(text)
        cache.set(key, uri, CACHE_SECONDS)
    return uri


def modules(text: str) -> list[list[bool]]:
    """The QR code's modules (True: dark), quiet zone of two included: qrcode's own, with its
    eight mask trials scored at once (busanhub/chain/qr_matrix.py)."""
    return qr_matrix.modules(text, border=BORDER)


def _draw(text: str) -> str:
    """One path of a rectangle per run of dark modules in a row: qrcode's own SVG image
    draws a rectangle per module through its image classes, half the cost of a first view."""
    matrix = modules(text)
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    millimetres = f"{size * MODULE_MM:g}mm"
    svg = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<svg width="{millimetres}" height="{millimetres}" version="1.1" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges" '
        f'xmlns="http://www.w3.org/2000/svg"><path d="{"".join(runs)}" fill="#000"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
