"""The public map's grid (no Django imports): cells of 2**-level degrees a side, the levels kept
in `safety_mapcell`, and which level a viewport is drawn at.

A viewport is drawn from the coarsest level's cells when it is wide and from the finest when it
is a few streets across, so a response holds at most about MAX_CELLS_ACROSS² cells whatever the
number of reports; `POINTS_MAX` or fewer reports in the viewport's cells are sent as points.
"""

import math

LEVELS = (5, 7, 9)  # cells of ~2.8 km, ~700 m and ~180 m a side in Busan
MAX_CELLS_ACROSS = 16  # about a cluster marker every 60-80 px on a screen
POINTS_MAX = 500


def cell_of(*, level: int, lat: float, long: float) -> tuple[int, int]:
    """(x, y) of the cell holding the point; the same as SQL's floor(long * 2 ^ level) (a
    product with a power of two is exact, so both round alike)."""
    scale = 2**level
    return math.floor(long * scale), math.floor(lat * scale)


def level_for(width: float) -> int:
    """The finest level at which `width` degrees span at most MAX_CELLS_ACROSS cells."""
    for level in reversed(LEVELS):
        if width * 2**level <= MAX_CELLS_ACROSS:
            return level
    return LEVELS[0]


def cell_range(*, level: int, bbox: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(min_x, min_y, max_x, max_y) of the cells that touch bbox (min_long, min_lat, max_long,
    max_lat)."""
    min_x, min_y = cell_of(level=level, lat=bbox[1], long=bbox[0])
    max_x, max_y = cell_of(level=level, lat=bbox[3], long=bbox[2])
    return min_x, min_y, max_x, max_y


def viewport(
    bbox: tuple[float, float, float, float] | None, extent: tuple[float, float, float, float]
) -> tuple[int, tuple[int, int, int, int] | None]:
    """(level, cells) a viewport is drawn at: the level from its size, the cells that touch
    its part within `extent` (where reports can be: Busan's bounding box), so every viewport
    around the whole city reads, and caches, the same cells. None: all cells of the level."""
    if bbox is None:
        return LEVELS[0], None
    level = level_for(max(bbox[2] - bbox[0], bbox[3] - bbox[1]))
    clipped = (
        max(bbox[0], extent[0]),
        max(bbox[1], extent[1]),
        min(bbox[2], extent[2]),
        min(bbox[3], extent[3]),
    )
    return level, cell_range(level=level, bbox=clipped)
