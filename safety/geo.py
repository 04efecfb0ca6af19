"""Where a report is: the Busan boundary check, distances and districts (no Django imports).

The boundary is Busan Metropolitan City's administrative polygon (KOSTAT 2013, simplified to
67 vertices; see data/busan_boundary.geojson for its source). A point is inside when the
polygon covers it: a bounding box would accept Gimhae and Yangsan, which it must not.
"""

import json
import math
from functools import lru_cache
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.prepared import prep

BOUNDARY_FILE = Path(__file__).resolve().parent / "data" / "busan_boundary.geojson"
EARTH_RADIUS_M = 6_371_008.8

# Approximate centres of Busan's 16 districts (gu/gun). A report's district is the nearest
# centre: good enough for filtering a triage queue, not a cadastral answer.
DISTRICTS: dict[str, tuple[float, float]] = {
    "jung": (35.1063, 129.0323),
    "seo": (35.0850, 129.0190),
    "dong": (35.1293, 129.0454),
    "yeongdo": (35.0810, 129.0680),
    "busanjin": (35.1630, 129.0532),
    "dongnae": (35.2050, 129.0837),
    "nam": (35.1300, 129.0930),
    "buk": (35.2400, 129.0150),
    "haeundae": (35.1900, 129.1630),
    "saha": (35.0870, 128.9760),
    "geumjeong": (35.2570, 129.0920),
    "gangseo": (35.1200, 128.8850),
    "yeonje": (35.1810, 129.0800),
    "suyeong": (35.1560, 129.1130),
    "sasang": (35.1530, 128.9900),
    "gijang": (35.3000, 129.2000),
}


# How addresses name the districts, in Korean and in English.
DISTRICT_NAMES: dict[str, tuple[str, ...]] = {
    "jung": ("중구", "jung-gu"),
    "seo": ("서구", "seo-gu"),
    "dong": ("동구", "dong-gu"),
    "yeongdo": ("영도구", "yeongdo"),
    "busanjin": ("부산진구", "busanjin"),
    "dongnae": ("동래구", "dongnae"),
    "nam": ("남구", "nam-gu"),
    "buk": ("북구", "buk-gu"),
    "haeundae": ("해운대구", "haeundae"),
    "saha": ("사하구", "saha"),
    "geumjeong": ("금정구", "geumjeong"),
    "gangseo": ("강서구", "gangseo"),
    "yeonje": ("연제구", "yeonje"),
    "suyeong": ("수영구", "suyeong"),
    "sasang": ("사상구", "sasang"),
    "gijang": ("기장군", "gijang"),
}
CITY_NAMES = ("부산", "busan")


@lru_cache(maxsize=1)
def _boundary():
    with BOUNDARY_FILE.open(encoding="utf-8") as handle:
        collection = json.load(handle)
    polygon = shape(collection["features"][0]["geometry"])
    return prep(polygon)


def is_in_busan(*, lat: float, long: float) -> bool:
    """True when (lat, long) in WGS84 lies inside (or on) Busan's boundary polygon."""
    if not (math.isfinite(lat) and math.isfinite(long)):
        return False
    return _boundary().covers(Point(long, lat))


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(long2 - long1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bounding_box(lat: float, long: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_long, max_lat, max_long) of a square that contains the circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlong = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat - dlat, long - dlong, lat + dlat, long + dlong


def district_of(*, lat: float, long: float) -> str:
    """The code of the district whose centre is nearest to the point."""
    return min(DISTRICTS, key=lambda code: distance_m(lat, long, *DISTRICTS[code]))


def address_names_busan(address: str) -> bool:
    """True when a free-text address names Busan (used when no coordinates are given)."""
    text = address.casefold()
    return any(name in text for name in CITY_NAMES)


def district_from_address(address: str) -> str:
    """The district an address names, or "" when it names none or several."""
    text = address.casefold().replace(" ", "")
    matches = [
        (code, name) for code, names in DISTRICT_NAMES.items() for name in names if name in text
    ]
    # "강서구" contains "서구": a name found only inside a longer found name does not count.
    codes = {
        code
        for code, name in matches
        if not any(name != other and name in other for _, other in matches)
    }
    return codes.pop() if len(codes) == 1 else ""
