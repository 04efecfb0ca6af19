import pytest

from safety import geo


@pytest.mark.parametrize(
    ("place", "lat", "long"),
    [
        ("City Hall", 35.1798, 129.0750),
        ("Haeundae beach", 35.1587, 129.1604),
        ("Jagalchi market", 35.0966, 129.0306),
        ("Gimhae airport (Gangseo-gu)", 35.1795, 128.9382),
        ("Gijang", 35.2446, 129.2222),
    ],
)
def test_places_in_busan_are_inside(place, lat, long):
    assert geo.is_in_busan(lat=lat, long=long) is True


@pytest.mark.parametrize(
    ("place", "lat", "long"),
    [
        # Inside Busan's bounding box but outside the city: a box check would accept them.
        ("Gimhae city hall", 35.2285, 128.8894),
        ("Yangsan Mulgeum", 35.335, 129.037),
        ("Sea south of Yeongdo", 35.00, 129.10),
        ("Ulsan", 35.5384, 129.3114),
        ("Seoul", 37.5665, 126.9780),
        ("Not a number", float("nan"), 129.0),
    ],
)
def test_places_outside_busan_are_refused(place, lat, long):
    assert geo.is_in_busan(lat=lat, long=long) is False


def test_distance_of_one_thousandth_degree_of_latitude_is_111_metres():
    assert round(geo.distance_m(35.0, 129.0, 35.001, 129.0)) == 111


def test_bounding_box_contains_the_circle():
    min_lat, min_long, max_lat, max_long = geo.bounding_box(35.1798, 129.0750, 50)
    assert round(geo.distance_m(35.1798, 129.0750, max_lat, 129.0750)) == 50
    assert round(geo.distance_m(35.1798, 129.0750, 35.1798, max_long)) == 50
    assert min_lat < 35.1798 < max_lat and min_long < 129.0750 < max_long


def test_district_is_the_nearest_centre():
    assert geo.district_of(lat=35.1587, long=129.1604) == "haeundae"
    assert geo.district_of(lat=35.0966, long=129.0306) == "jung"


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("부산광역시 강서구 공항진입로 108", "gangseo"),
        ("부산 서구 구덕로 120", "seo"),
        ("Haeundae-gu, Busan", "haeundae"),
        ("부산진구 중앙대로 672", "busanjin"),
        ("부산", ""),
    ],
)
def test_district_from_address(address, district):
    assert geo.district_from_address(address) == district


def test_address_names_busan():
    assert geo.address_names_busan("부산광역시 연제구 중앙대로 1001") is True
    assert geo.address_names_busan("1001 Jungang-daero, BUSAN") is True
    assert geo.address_names_busan("경상남도 김해시") is False
