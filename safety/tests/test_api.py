import pytest
from django.urls import reverse

from busanhub.accounts.models import User
from safety import services
from safety.tests.factories import (
    CITY_HALL,
    CategoryFactory,
    StaffFactory,
    UserFactory,
    make_report,
)

pytestmark = pytest.mark.django_db


def test_nearby_lists_open_reports_of_the_category(client):
    category = CategoryFactory(service_code="LIGHT")
    near = make_report(category=category, lat=CITY_HALL[0] + 0.0002, long=CITY_HALL[1])
    make_report(category=category, lat=CITY_HALL[0] + 0.001, long=CITY_HALL[1])
    response = client.get(
        reverse("safety-api:nearby"),
        {"service_code": "LIGHT", "lat": CITY_HALL[0], "long": CITY_HALL[1]},
    )
    assert response.status_code == 200
    (item,) = response.json()
    assert item["service_request_id"] == str(near.public_id)
    assert item["distance_m"] == 22
    assert item["follow_url"] == f"/safety/reports/{near.public_id}/follow/"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"service_code": "LIGHT", "lat": "north", "long": "129"}, "lat"),
        ({"service_code": "NOPE", "lat": "35.1", "long": "129"}, "service_code"),
        ({"lat": "35.1", "long": "129"}, "service_code"),
    ],
)
def test_nearby_bad_input_is_400_naming_the_field(client, query, field):
    CategoryFactory(service_code="LIGHT")
    response = client.get(reverse("safety-api:nearby"), query)
    assert response.status_code == 400
    assert field in response.json()


def test_map_is_geojson_without_personal_data(client, django_assert_max_num_queries):
    reporter = UserFactory(email="who@example.kr")
    for _ in range(5):
        make_report(reporter=reporter)
    closed = make_report()
    services.report_transition(report=closed, to_status="rejected", actor=StaffFactory())
    # The viewport's cell counts, then its reports.
    with django_assert_max_num_queries(2):
        response = client.get(
            reverse("safety-api:map"),
            {"bbox": "129.0,35.1,129.2,35.3", "status": "open"},
        )
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert (collection["clustered"], collection["count"]) == (False, 5)
    assert len(collection["features"]) == 5
    assert collection["features"][0]["properties"]["url"] == closed.get_absolute_url().replace(
        str(closed.public_id), collection["features"][0]["properties"]["service_request_id"]
    )
    assert collection["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [CITY_HALL[1], CITY_HALL[0]],
    }
    assert "who@example.kr" not in response.content.decode()
    outside = client.get(reverse("safety-api:map"), {"bbox": "128.0,34.0,128.1,34.1"})
    assert outside.json()["features"] == []


def test_map_bad_bbox_is_400(client):
    response = client.get(reverse("safety-api:map"), {"bbox": "1,2,3"})
    assert response.status_code == 400
    assert "bbox" in response.json()


def test_my_reports_needs_login_and_shows_only_mine(client, django_assert_max_num_queries):
    anonymous = client.get(reverse("safety-api:mine"))
    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, "Token")
    citizen = UserFactory()
    mine = [make_report(reporter=citizen) for _ in range(3)]
    make_report(reporter=UserFactory())
    client.force_login(citizen)
    # The user's statement is prepared once per database connection (PREPARE, one more query):
    # whether an earlier test on this connection did it depends on which tests ran before.
    User.objects.get(pk=citizen.pk)
    # Session and user lookups plus the portal's language bookkeeping, then one data query.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("safety-api:mine"))
    ids = [item["service_request_id"] for item in response.json()["results"]]
    assert ids == [str(report.public_id) for report in reversed(mine)]


FAR = (35.2447, 129.2224)  # Gijang, ~22 km north-east of City Hall


def _map(client, **query):
    return client.get(reverse("safety-api:map"), query)


def test_a_viewport_with_more_reports_than_the_points_limit_comes_as_clusters(client, settings):
    settings.SAFETY_MAP_POINTS_MAX = 2
    reporter = UserFactory(email="who@example.kr")
    near = [make_report(reporter=reporter) for _ in range(3)]
    make_report(reporter=reporter, lat=FAR[0], long=FAR[1])
    make_report(address="부산광역시 중구 중앙대로 100", lat=None, long=None)  # not on the map
    response = _map(client, bbox="128.8,34.95,129.35,35.4")
    collection = response.json()
    assert (collection["clustered"], collection["count"]) == (True, 4)
    counts = sorted(
        (feature["properties"]["count"], feature["geometry"]["coordinates"])
        for feature in collection["features"]
    )
    assert counts == [(1, [FAR[1], FAR[0]]), (3, [CITY_HALL[1], CITY_HALL[0]])]
    assert "who@example.kr" not in response.content.decode()
    assert str(near[0].public_id) not in response.content.decode()
    # A viewport of the three (street scale) is their points again.
    settings.SAFETY_MAP_POINTS_MAX = 3
    street = _map(
        client,
        bbox=f"{CITY_HALL[1] - 0.005},{CITY_HALL[0] - 0.004},"
        f"{CITY_HALL[1] + 0.005},{CITY_HALL[0] + 0.004}",
    ).json()
    assert (street["clustered"], street["count"]) == (False, 3)
    assert sorted(f["properties"]["service_request_id"] for f in street["features"]) == sorted(
        str(report.public_id) for report in near
    )


def test_cluster_counts_follow_the_workflow_and_the_filters(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SAFETY_MAP_POINTS_MAX = 0
    category = CategoryFactory(service_code="LIGHT")
    with django_capture_on_commit_callbacks(execute=True):
        reports = [make_report(category=category) for _ in range(3)]
        make_report()
    city = "128.8,34.95,129.35,35.4"
    assert _map(client, bbox=city, status="open").json()["count"] == 4
    assert _map(client, bbox=city, service_code="LIGHT").json()["count"] == 3
    # When staff reject one (its version renewed once committed), the cached answer is not read.
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=reports[0], to_status="rejected", actor=StaffFactory())
    assert _map(client, bbox=city, status="open").json()["count"] == 3
    assert _map(client, bbox=city, status="closed").json()["count"] == 1
    assert _map(client, bbox=city, status="rejected", service_code="LIGHT").json()["count"] == 1
    assert _map(client, bbox=city, status="resolved").json() | {"features": []} == {
        "type": "FeatureCollection",
        "clustered": False,
        "count": 0,
        "features": [],
    }


def test_a_body_of_points_is_cached_until_a_report_or_the_catalogue_changes(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a report on the map, read once in each language (the bodies are cached)
    category = CategoryFactory(service_code="LIGHT", name_ko="가로등", name_en="Street light")
    with django_capture_on_commit_callbacks(execute=True):
        first = make_report(category=category)

    def read(language="ko"):
        return client.get(reverse("safety-api:map"), HTTP_ACCEPT_LANGUAGE=language)

    def names(language):
        features = read(language).json()["features"]
        return [(f["properties"]["service_name"], f["properties"]["status"]) for f in features]

    assert names("en") == [("Street light", "submitted")]
    assert names("ko") == [("가로등", "submitted")]
    with django_assert_num_queries(0):
        cached = read("en")
    assert cached.json()["features"][0]["properties"]["service_name"] == "Street light"

    # When a report is filed, then the next answer has it
    with django_capture_on_commit_callbacks(execute=True):
        second = make_report(category=category)
    ids = [f["properties"]["service_request_id"] for f in read().json()["features"]]
    assert ids == [str(second.public_id), str(first.public_id)]

    # When staff move one through the workflow, then the answer shows its status
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=first, to_status="rejected", actor=StaffFactory())
    assert names("en") == [("Street light", "submitted"), ("Street light", "rejected")]

    # When the category is renamed, then the points carry the new name, in each language
    category.name_en = "Security light"
    with django_capture_on_commit_callbacks(execute=True):
        category.save()
    assert names("en") == [("Security light", "submitted"), ("Security light", "rejected")]
    assert names("ko") == [("가로등", "submitted"), ("가로등", "rejected")]


def test_map_cells_rebuilt_equal_the_cells_moved_by_filing_and_workflow():
    staff = StaffFactory()
    reports = [
        make_report(lat=CITY_HALL[0] + index * 0.01, long=CITY_HALL[1]) for index in range(4)
    ]
    services.report_transition(report=reports[1], to_status="acknowledged", actor=staff)
    services.report_transition(report=reports[2], to_status="rejected", actor=staff)
    moved = _cells()
    services.map_cells_rebuild()
    rebuilt = _cells()
    assert [row for row in moved if row[-3] != 0] == rebuilt
    assert sum(row[-3] for row in rebuilt if row[0] == 5) == 4


def _cells():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT level, x, y, category_id, status, count, round(lat_sum::numeric, 9),"
            " round(long_sum::numeric, 9) FROM safety_mapcell ORDER BY 1, 2, 3, 4, 5"
        )
        return cursor.fetchall()


def test_map_answers_carry_an_etag_and_a_short_max_age(client):
    make_report()
    first = _map(client, bbox="129.0,35.1,129.2,35.3")
    assert first["Cache-Control"] == "public, max-age=30"
    again = client.get(
        reverse("safety-api:map"),
        {"bbox": "129.0,35.1,129.2,35.3"},
        headers={"if-none-match": first["ETag"]},
    )
    assert (again.status_code, again.content) == (304, b"")
    assert again["ETag"] == first["ETag"]
