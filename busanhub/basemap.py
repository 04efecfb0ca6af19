"""The offline base map of Busan: its 16 districts, the land around it and its coastline.

One vendored GeoJSON file (`static/vendor/busan-basemap-2023/busan.geojson`, built by
`scripts/build_busan_basemap.py` from NGII's 2023 administrative boundaries) serves three
readers: the browser draws it with Leaflet when no tile server is configured, safety finds a
report's district in it, and logistics draws it under the B-Fresh route. No Django imports.
"""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.prepared import PreparedGeometry, prep

BASEMAP_FILE = (
    Path(__file__).resolve().parents[1]
    / "static"
    / "vendor"
    / "busan-basemap-2023"
    / "busan.geojson"
)
# The file as served (STATIC_URL-relative), for templates and the browser.
BASEMAP_STATIC_PATH = "vendor/busan-basemap-2023/busan.geojson"
ATTRIBUTION_EN = "Boundaries: NGII (Republic of Korea), 2023"
ATTRIBUTION_KO = "경계: 국토지리정보원, 2023"


@dataclass(frozen=True)
class District:
    code: str
    name_ko: str
    name_en: str
    geometry: BaseGeometry
    label: tuple[float, float]  # (long, lat), inside the district

    def name(self, language: str) -> str:
        return self.name_ko if language.startswith("ko") else self.name_en


@lru_cache(maxsize=1)
def _features() -> tuple[dict[str, Any], ...]:
    with BASEMAP_FILE.open(encoding="utf-8") as handle:
        return tuple(json.load(handle)["features"])


def features(layer: str) -> Iterator[dict[str, Any]]:
    """The GeoJSON features of one layer: "district", "neighbour" or "coastline"."""
    return (feature for feature in _features() if feature["properties"]["layer"] == layer)


@lru_cache(maxsize=1)
def districts() -> tuple[District, ...]:
    """Busan's 16 districts (gu/gun), in the administrative code's order."""
    return tuple(
        District(
            code=feature["properties"]["code"],
            name_ko=feature["properties"]["name_ko"],
            name_en=feature["properties"]["name_en"],
            geometry=shape(feature["geometry"]),
            label=(feature["properties"]["label"][0], feature["properties"]["label"][1]),
        )
        for feature in features("district")
    )


@lru_cache(maxsize=1)
def _prepared() -> tuple[tuple[str, PreparedGeometry], ...]:
    return tuple((district.code, prep(district.geometry)) for district in districts())


def district_at(*, lat: float, long: float) -> str:
    """The code of the district whose polygon covers the point, or "" when none does."""
    if not (math.isfinite(lat) and math.isfinite(long)):
        return ""
    point = Point(long, lat)
    for code, polygon in _prepared():
        if polygon.covers(point):
            return code
    return ""


def district_nearest(*, lat: float, long: float) -> str:
    """The code of the district whose polygon is nearest to the point (for harbour water, piers
    and the simplified coast, where no polygon covers an accepted point)."""
    point = Point(long, lat)
    return min(districts(), key=lambda district: district.geometry.distance(point)).code


# How far past the drawn coast a point still counts as Busan: piers, breakwaters and beaches that
# the simplified coastline (≈ 25 m) leaves out. Never into a neighbouring municipality.
SHORE_MARGIN_DEG = 0.0015  # ≈ 150 m


@lru_cache(maxsize=1)
def busan_area() -> BaseGeometry:
    """Busan's land (the union of its districts) and a margin of water along its coast."""
    city = unary_union([district.geometry for district in districts()])
    around = unary_union([shape(feature["geometry"]) for feature in features("neighbour")])
    return city.union(city.buffer(SHORE_MARGIN_DEG).difference(around))


@lru_cache(maxsize=1)
def _prepared_area() -> PreparedGeometry:
    return prep(busan_area())


def is_in_busan(*, lat: float, long: float) -> bool:
    """True when (lat, long) in WGS84 lies in Busan (see busan_area)."""
    if not (math.isfinite(lat) and math.isfinite(long)):
        return False
    return bool(_prepared_area().covers(Point(long, lat)))
