"""Where a report is: the Busan boundary check, distances and districts (no Django imports).

Busan is the union of its 16 district polygons from the vendored base map (NGII 2023
administrative boundaries, simplified; busanhub.basemap) plus a thin margin of coastal water.
A point is inside when that area covers it: a bounding box would accept Gimhae and Yangsan,
which it must not. A report's district is the district polygon that covers its point.
"""

import math

from busanhub import basemap

EARTH_RADIUS_M = 6_371_008.8

# Busan's 16 districts (gu/gun), in administrative order; their polygons are the vendored base
# map's (busanhub.basemap, same codes: tested).
DISTRICTS: tuple[str, ...] = (
    "jung", "seo", "dong", "yeongdo", "busanjin", "dongnae", "nam", "buk",
    "haeundae", "saha", "geumjeong", "gangseo", "yeonje", "suyeong", "sasang", "gijang",
)  # fmt: skip


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


def is_in_busan(*, lat: float, long: float) -> bool:
    """True when (lat, long) in WGS84 lies inside Busan: its districts, or water within about
    150 m of its coast (piers, beaches), never a neighbouring municipality."""
    return basemap.is_in_busan(lat=lat, long=long)


def busan_bounds() -> tuple[float, float, float, float]:
    """(min_long, min_lat, max_long, max_lat) of the area `is_in_busan` accepts."""
    return basemap.busan_area().bounds


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
    """The code of the district whose boundary polygon covers the point.

    A point inside Busan that no district polygon covers (harbour water, a pier, a beach the
    simplified coast leaves out) takes the nearest district.
    """
    return basemap.district_at(lat=lat, long=long) or basemap.district_nearest(lat=lat, long=long)


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
