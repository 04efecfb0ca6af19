import pytest

from busanhub import basemap
from safety import geo


@pytest.mark.parametrize(
    ("place", "lat", "long"),
    [
        ("City Hall", 35.1798, 129.0750),
        ("Haeundae beach", 35.1587, 129.1604),
        ("Jagalchi market", 35.0966, 129.0306),
        ("Gimhae airport (Gangseo-gu)", 35.1795, 128.9382),
        ("Gijang", 35.2446, 129.2222),
        # Refused by the old 67-vertex outline, though inside Gangseo-gu and Buk-gu.
        ("Gangseo-gu, west of the airport", 35.1794, 128.8835),
        ("Buk-gu, Hwamyeong", 35.2741, 129.0272),
        ("Haeundae Beach pier, on the water", 35.1574, 129.1600),
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
        ("Gimhae, 300 m past the Gangseo-gu border", 35.2195, 128.8705),
        ("Yangsan, just north of Geumjeong-gu", 35.3150, 129.0700),
        ("Open sea off Haeundae", 35.14, 129.20),
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


@pytest.mark.parametrize(
    ("place", "lat", "long", "district"),
    [
        ("Haeundae Beach", 35.1587, 129.1604, "haeundae"),
        ("Busan City Hall", 35.1798, 129.0750, "yeonje"),
        ("Jagalchi market", 35.0966, 129.0306, "jung"),
        ("Seomyeon", 35.1579, 129.0594, "busanjin"),
        ("Taejongdae", 35.0525, 129.0870, "yeongdo"),
        ("Beomeosa temple", 35.2840, 129.0686, "geumjeong"),
        ("Gijang market", 35.2445, 129.2180, "gijang"),
        # The old rule (nearest of 16 district centres) put each of these in the wrong district:
        ("Busan Station (Choryang-dong, not Jung-gu)", 35.1151, 129.0421, "dong"),
        ("Gimhae airport (Gangseo-gu, not Sasang-gu)", 35.1795, 128.9382, "gangseo"),
        ("Centum City (U-dong, not Suyeong-gu)", 35.1690, 129.1310, "haeundae"),
        ("Gamcheon Culture Village (Saha-gu, not Seo-gu)", 35.0975, 129.0107, "saha"),
    ],
)
def test_district_is_the_polygon_that_covers_the_point(place, lat, long, district):
    assert geo.district_of(lat=lat, long=long) == district


def test_a_point_on_the_water_next_to_a_district_takes_that_district():
    # Gwangalli beach's waterline: inside Busan (the coastal margin), in no district polygon.
    assert basemap.district_at(lat=35.1532, long=129.1186) == ""
    assert geo.is_in_busan(lat=35.1532, long=129.1186) is True
    assert geo.district_of(lat=35.1532, long=129.1186) == "suyeong"


def test_the_district_codes_are_the_base_maps():
    assert tuple(district.code for district in basemap.districts()) == geo.DISTRICTS
    assert len(set(geo.DISTRICTS)) == 16


def test_the_districts_do_not_overlap_and_every_one_is_valid():
    districts = basemap.districts()
    for district in districts:
        assert district.geometry.is_valid, district.code
    for index, one in enumerate(districts):
        for other in districts[index + 1 :]:
            assert one.geometry.intersection(other.geometry).area < 1e-7, (one.code, other.code)


def test_every_label_point_lies_in_its_district():
    for district in basemap.districts():
        assert basemap.district_at(lat=district.label[1], long=district.label[0]) == district.code


def test_points_outside_busan_have_no_district_polygon():
    assert basemap.district_at(lat=35.2285, long=128.8894) == ""  # Gimhae city hall
    assert basemap.district_at(lat=35.00, long=129.10) == ""  # sea south of Yeongdo
    assert basemap.district_at(lat=float("nan"), long=129.0) == ""


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
