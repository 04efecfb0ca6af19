"""A QR code's modules exactly as the qrcode library makes them, without its mask trials' cost.

qrcode (`QRCode.make`) lays out the code eight times, once per mask pattern, in Python loops
over every module, scores each layout (`util.lost_point`: runs, 2x2 blocks, finder-like
patterns, dark share) and lays out the best one a ninth time: 85% of drawing a /verify/ page's
code. Here the layout is computed once per version (the function patterns, which modules carry
data, in which order), the data bits are placed with one numpy assignment, the eight masked
layouts are scored together with numpy, and the function patterns and format bits still come
from qrcode itself (a subclass that skips the data placement). The penalty rules are qrcode's,
counted without its loops' shortcuts (each skips only windows that cannot match), so the same
mask wins, ties to the lowest pattern as there: busanhub/chain/tests/test_qr.py compares the
result with qrcode's own over many texts and versions. Pure: no Django.
"""

from functools import lru_cache

import numpy
import qrcode
from qrcode import util

MASKS = 8
# The finder-like patterns util._lost_point_level3 looks for in every row and column.
FINDER_LIKE = (
    numpy.array([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], dtype=bool),
    numpy.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1], dtype=bool),
)


class _Layout(qrcode.QRCode):
    """qrcode's layout of a version with the data modules left empty (None)."""

    def map_data(self, data, mask_pattern):
        pass


@lru_cache(maxsize=64)
def _function_modules(
    version: int, error_correction: int, mask: int, test: bool
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The dark modules of the function patterns, format and version bits (bool array), and
    the data modules (bool array: those qrcode's layout leaves empty)."""
    layout = _Layout(version=version, error_correction=error_correction)
    layout.data_cache = []
    layout.makeImpl(test, mask)
    dark = numpy.array([[module is True for module in row] for row in layout.modules])
    empty = numpy.array([[module is None for module in row] for row in layout.modules])
    return dark, empty


@lru_cache(maxsize=32)
def _placement(version: int, error_correction: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Which modules carry data (bool array) and their flat indices in the order qrcode's
    `map_data` fills them (two columns at a time, up and down, skipping the timing column)."""
    is_data = _function_modules(version, error_correction, 0, True)[1]
    count = len(is_data)
    order = []
    row, step = count - 1, -1
    for col in range(count - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if is_data[row, c]:
                    order.append(row * count + c)
            row += step
            if row < 0 or row >= count:
                row -= step
                step = -step
                break
    return is_data, numpy.array(order, dtype=numpy.intp)


@lru_cache(maxsize=32)
def _mask_patterns(count: int) -> numpy.ndarray:
    """(8, count, count) bool: where each mask pattern inverts a data module (util.mask_func)."""
    i, j = numpy.indices((count, count))
    return numpy.array(
        [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            (i * j) % 2 + (i * j) % 3 == 0,
            ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            ((i * j) % 3 + (i + j) % 2) % 2 == 0,
        ]
    )


def lost_points(layouts: numpy.ndarray) -> list[int]:
    """util.lost_point of each of the (k, n, n) bool layouts."""
    count = layouts.shape[1]
    lines = numpy.concatenate([layouts, layouts.transpose(0, 2, 1)], axis=1)  # rows, columns
    # Runs of five or more of one colour: a run of length L costs L - 2, that is one point for
    # each of its L - 4 windows of five plus two for its start.
    same = lines[:, :, 1:] == lines[:, :, :-1]
    five = same[:, :, :-3] & same[:, :, 1:-2] & same[:, :, 2:-1] & same[:, :, 3:]
    starts = five.copy()
    starts[:, :, 1:] &= ~same[:, :, : count - 5]
    runs = five.sum(axis=(1, 2)) + 2 * starts.sum(axis=(1, 2))
    # 2x2 blocks of one colour: 3 each.
    top = layouts[:, :-1, :-1]
    blocks = (
        (top == layouts[:, 1:, :-1]) & (top == layouts[:, :-1, 1:]) & (top == layouts[:, 1:, 1:])
    )
    squares = 3 * blocks.sum(axis=(1, 2))
    # 1:1:3:1:1 patterns with four light modules on one side: 40 each.
    width = count - 10
    finders = numpy.zeros(len(layouts), dtype=numpy.int64)
    for pattern in FINDER_LIKE:
        found = numpy.ones(lines.shape[:2] + (width,), dtype=bool)
        for k, dark in enumerate(pattern):
            window = lines[:, :, k : k + width]
            found &= window if dark else ~window
        finders += 40 * found.sum(axis=(1, 2))
    points = []
    for k in range(len(layouts)):
        # The dark share, with util._lost_point_level4's float arithmetic.
        percent = float(int(layouts[k].sum())) / (count**2)
        balance = int(abs(percent * 100 - 50) / 5) * 10
        points.append(int(runs[k]) + int(squares[k]) + int(finders[k]) + balance)
    return points


def modules(text: str, *, border: int) -> list[list[bool]]:
    """The modules (True: dark) of `text`'s QR code, `border` modules of quiet zone included:
    what `qrcode.QRCode(border=border)` with `add_data(text)`, `make(fit=True)` and
    `get_matrix()` gives."""
    code = qrcode.QRCode(border=border)
    code.add_data(text)
    version = code.best_fit()
    error_correction = code.error_correction
    data = util.create_data(version, error_correction, code.data_list)
    is_data, order = _placement(version, error_correction)
    count = len(is_data)
    bits = numpy.unpackbits(numpy.frombuffer(bytes(data), dtype=numpy.uint8))
    flat = numpy.zeros(count * count, dtype=bool)
    # Data modules past the data's bits stay light, as in map_data.
    placed = min(len(order), len(bits))
    flat[order[:placed]] = bits[:placed]
    unmasked = flat.reshape(count, count)
    patterns = _mask_patterns(count) & is_data
    layouts = _function_modules(version, error_correction, 0, True)[0] | (unmasked ^ patterns)
    points = lost_points(layouts)
    mask = points.index(min(points))  # the first of equals, as best_mask_pattern
    matrix = _function_modules(version, error_correction, mask, False)[0] | (
        unmasked ^ patterns[mask]
    )
    if border:
        matrix = numpy.pad(matrix, border, constant_values=False)
    return matrix.tolist()
