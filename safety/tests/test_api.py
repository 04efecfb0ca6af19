import pytest
from django.urls import reverse

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
    with django_assert_max_num_queries(1):
        response = client.get(
            reverse("safety-api:map"),
            {"bbox": "129.0,35.1,129.2,35.3", "status": "open"},
        )
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 5
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
    # Session and user lookups plus the portal's language bookkeeping, then one data query.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("safety-api:mine"))
    ids = [item["service_request_id"] for item in response.json()["results"]]
    assert ids == [str(report.public_id) for report in reversed(mine)]
