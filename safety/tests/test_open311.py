"""Open311 GeoReport v2, checked against the spec's own schema (tests/data, from the
conformance folder) and its documented behaviour."""

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
import yaml

from busanhub.chain.models import AnchorLeaf
from safety import services
from safety.models import Report, ReportPhoto
from safety.tests.factories import (
    CITY_HALL,
    GIMHAE,
    CategoryFactory,
    StaffFactory,
    add_attribute,
    make_report,
)

pytestmark = pytest.mark.django_db

SPEC = yaml.safe_load((Path(__file__).parent / "data" / "data_georeport_v2-1.yaml").read_text())


def _schema(name: str) -> dict:
    return {"$ref": f"#/definitions/{name}", "definitions": SPEC["definitions"]}


def _parse_xml(content: bytes):
    return ElementTree.fromstring(content)  # noqa: S314 -- our own server's output, in a test


def _without_nulls(value):
    # The spec marks these fields "may not be returned"; we return them as null.
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _validate(document, name: str) -> None:
    jsonschema.validate(_without_nulls(document), _schema(name))


def _xml_records(content: bytes, root: str, item: str) -> list[dict]:
    tree = _parse_xml(content)
    assert tree.tag == root
    return [{child.tag: child.text for child in element} for element in tree.findall(item)]


@pytest.fixture
def category():
    category = CategoryFactory(service_code="STREETLIGHT", keywords="light, night")
    add_attribute(
        category,
        code="STATE",
        datatype="singlevaluelist",
        required=True,
        values=[("OFF", "꺼짐"), ("FLICKER", "깜빡임")],
    )
    add_attribute(category, code="SEEN", datatype="datetime")
    return category


@pytest.fixture
def api_key():
    return services.api_key_create(name="Busan Taxi App")[1]


def _post(client, fmt="json", **data):
    return client.post(f"/open311/v2/requests.{fmt}", data)


def _counts():
    return (Report.objects.count(), ReportPhoto.objects.count(), AnchorLeaf.objects.count())


def test_discovery_json_and_xml_agree(client):
    as_json = client.get("/open311/v2/discovery.json")
    as_xml = client.get("/open311/v2/discovery.xml")
    assert as_json.status_code == as_xml.status_code == 200
    assert as_json["Content-Type"] == "application/json; charset=utf-8"
    assert as_xml["Content-Type"] == "text/xml; charset=utf-8"
    document = as_json.json()
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = document["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    tree = _parse_xml(as_xml.content)
    assert tree.tag == "discovery"
    assert [format.text for format in tree.iter("format")] == endpoint["formats"]


def test_service_list_matches_the_spec_in_both_formats(
    client, category, django_assert_max_num_queries
):
    CategoryFactory(service_code="HIDDEN", is_active=False)
    with django_assert_max_num_queries(4):
        response = client.get("/open311/v2/services.json", HTTP_ACCEPT_LANGUAGE="en")
    services_list = response.json()
    for service in services_list:
        _validate(service, "Service")
    assert services_list == [
        {
            "service_code": "STREETLIGHT",
            "service_name": "Broken streetlight",
            "description": "A streetlight that is off or flickering",
            "metadata": True,
            "type": "realtime",
            "keywords": "light, night",
            "group": "street",
        }
    ]
    xml = client.get("/open311/v2/services.xml", HTTP_ACCEPT_LANGUAGE="en")
    assert _xml_records(xml.content, "services", "service") == [
        {key: ("true" if value is True else value) for key, value in services_list[0].items()}
    ]


def test_service_definition_lists_attributes_and_values(client, category):
    response = client.get("/open311/v2/services/STREETLIGHT.json", HTTP_ACCEPT_LANGUAGE="ko")
    document = response.json()
    _validate(document, "ServiceDefinition")
    assert document["service_code"] == "STREETLIGHT"
    first, second = document["attributes"]
    assert first == {
        "variable": True,
        "code": "STATE",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "STATE 질문",
        "values": [{"key": "OFF", "name": "꺼짐"}, {"key": "FLICKER", "name": "깜빡임"}],
    }
    assert second["datatype"] == "datetime" and "values" not in second
    xml = _parse_xml(client.get("/open311/v2/services/STREETLIGHT.xml").content)
    assert xml.tag == "service_definition"
    assert [key.text for key in xml.iter("key")] == ["OFF", "FLICKER"]


def test_unknown_service_code_is_404_in_the_error_format(client):
    response = client.get("/open311/v2/services/NOPE.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "Unknown service_code."}]
    korean = client.get("/open311/v2/services/NOPE.json")
    assert korean.json() == [{"code": 404, "description": "알 수 없는 service_code입니다."}]
    xml = client.get("/open311/v2/services/NOPE.xml", HTTP_ACCEPT_LANGUAGE="en")
    assert xml.status_code == 404
    assert _xml_records(xml.content, "errors", "error") == [
        {"code": "404", "description": "Unknown service_code."}
    ]


def test_post_request_creates_a_report_and_returns_its_id(client, category, api_key):
    # Given a partner with a key, posting form-encoded like the spec's example
    response = _post(
        client,
        api_key=api_key,
        service_code="STREETLIGHT",
        lat=str(CITY_HALL[0]),
        long=str(CITY_HALL[1]),
        address_string="부산광역시 연제구 중앙대로 1001",
        email="haeun@example.kr",
        first_name="Haeun",
        last_name="Kim",
        description="Light off all night",
        **{"attribute[STATE]": "OFF", "attribute[SEEN]": "2026-11-23T21:30:00+09:00"},
    )

    # Then a report exists and its id comes back (no token alongside it)
    assert response.status_code == 200
    (body,) = response.json()
    _validate(body, "RequestResponse")
    report = Report.objects.get()
    assert body == {
        "service_request_id": str(report.public_id),
        "service_notice": None,
        "account_id": None,
    }
    assert report.answers == {"STATE": "OFF", "SEEN": "2026-11-23T21:30:00+09:00"}
    assert (report.contact_email, report.contact_name) == ("haeun@example.kr", "Haeun Kim")
    assert report.api_key.name == "Busan Taxi App"


def test_post_multivaluelist_with_brackets(client, api_key):
    category = CategoryFactory(service_code="MULTI")
    add_attribute(
        category, code="H", datatype="multivaluelist", values=[("a", "A"), ("b", "B"), ("c", "C")]
    )
    response = client.post(
        "/open311/v2/requests.xml",
        f"api_key={api_key}&service_code=MULTI&lat={CITY_HALL[0]}&long={CITY_HALL[1]}"
        "&attribute[H][]=c&attribute[H][]=a",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    (record,) = _xml_records(response.content, "service_requests", "request")
    assert record["service_request_id"] == str(Report.objects.get().public_id)
    assert Report.objects.get().answers == {"H": ["a", "c"]}


def test_post_with_address_only_is_accepted_when_it_names_busan(client, category, api_key):
    response = _post(
        client,
        api_key=api_key,
        service_code="STREETLIGHT",
        address_string="부산광역시 해운대구 우동 해운대해변로 264",
        **{"attribute[STATE]": "OFF"},
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert (report.lat, report.long, report.district) == (None, None, "haeundae")


@pytest.mark.parametrize(
    ("data", "status", "description"),
    [
        ({"api_key": "wrong"}, 403, "Missing or invalid api_key."),
        ({}, 403, "Missing or invalid api_key."),
        ({"service_code": "NOPE"}, 404, "Unknown service_code."),
        ({"service_code": ""}, 400, "service_code was not provided."),
        ({"lat": "", "long": ""}, 400, "A location is required: lat and long, or address_string."),
        (
            {"lat": str(GIMHAE[0]), "long": str(GIMHAE[1])},
            400,
            "lat/long: This location is outside Busan. Only places in Busan can be reported.",
        ),
        (
            {"lat": "north", "long": "east"},
            400,
            "lat/long: Latitude and longitude must be numbers.",
        ),
        ({"attribute[STATE]": ""}, 400, "attribute[STATE]: This answer is required."),
        (
            {"attribute[SEEN]": "last night"},
            400,
            "attribute[SEEN]: Enter a date and time in ISO 8601 form, e.g. 2026-11-23T10:00.",
        ),
        (
            {"lat": "", "long": "", "address_string": "김해시 장유로 1"},
            400,
            "address_string: Without coordinates, the address must name Busan (부산).",
        ),
    ],
)
def test_bad_posts_answer_the_error_format_and_store_nothing(
    client, category, api_key, data, status, description
):
    form = {
        "api_key": api_key,
        "service_code": "STREETLIGHT",
        "lat": str(CITY_HALL[0]),
        "long": str(CITY_HALL[1]),
        "attribute[STATE]": "OFF",
        **data,
    }
    if "api_key" in data and not data["api_key"]:
        form.pop("api_key")
    if data == {}:
        form.pop("api_key")
    response = client.post("/open311/v2/requests.json", form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    assert response.json() == [{"code": status, "description": description}]
    assert _counts() == (0, 0, 0)


def test_inactive_key_is_refused(client, category, api_key):
    from safety.models import ApiKey

    ApiKey.objects.update(is_active=False)
    response = _post(
        client,
        api_key=api_key,
        service_code="STREETLIGHT",
        lat=str(CITY_HALL[0]),
        long=str(CITY_HALL[1]),
        **{"attribute[STATE]": "OFF"},
    )
    assert response.status_code == 403
    assert _counts() == (0, 0, 0)


def test_per_key_rate_limit(client, category, api_key, settings):
    settings.SAFETY_RATE_LIMITS = {"open311_key": (2, 60)}
    form = {
        "api_key": api_key,
        "service_code": "STREETLIGHT",
        "lat": str(CITY_HALL[0]),
        "long": str(CITY_HALL[1]),
        "attribute[STATE]": "OFF",
    }
    assert [client.post("/open311/v2/requests.json", form).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert Report.objects.count() == 2


def test_get_requests_json_and_xml_agree_and_follow_the_schema(
    client, category, django_assert_max_num_queries
):
    staff = StaffFactory()
    first = make_report(category=category, answers={"STATE": ["OFF"]})
    second = make_report(category=category, answers={"STATE": ["FLICKER"]})
    services.report_transition(
        report=second, to_status="rejected", actor=staff, public_note="Private property."
    )
    with django_assert_max_num_queries(4):
        response = client.get("/open311/v2/requests.json", HTTP_ACCEPT_LANGUAGE="en")
    requests = response.json()
    for request in requests:
        _validate(request, "Request")
    assert [request["service_request_id"] for request in requests] == [
        str(second.public_id),
        str(first.public_id),
    ]
    assert [request["status"] for request in requests] == ["closed", "open"]
    assert requests[0]["status_notes"] == "Private property."
    assert requests[1]["agency_responsible"] == "Road Management Division"
    assert requests[1]["lat"] == CITY_HALL[0]
    assert requests[1]["requested_datetime"].endswith("+09:00")
    xml = client.get("/open311/v2/requests.xml", HTTP_ACCEPT_LANGUAGE="en")
    records = _xml_records(xml.content, "service_requests", "request")
    assert [record["service_request_id"] for record in records] == [
        request["service_request_id"] for request in requests
    ]
    assert records[1]["lat"] == str(CITY_HALL[0])
    assert records[0]["status_notes"] == "Private property."
    assert records[1]["status_notes"] is None


def test_get_requests_filters(client, category):
    staff = StaffFactory()
    other = CategoryFactory(service_code="POTHOLE")
    open_light = make_report(category=category, answers={"STATE": ["OFF"]})
    pothole = make_report(category=other)
    closed = make_report(category=category, answers={"STATE": ["OFF"]})
    services.report_transition(report=closed, to_status="rejected", actor=staff)
    old = make_report(category=category, answers={"STATE": ["OFF"]})
    Report.objects.filter(pk=old.pk).update(created_at="2025-01-10T00:00:00Z")

    def ids(query):
        return {
            item["service_request_id"]
            for item in client.get(f"/open311/v2/requests.json?{query}").json()
        }

    assert ids("") == {str(r.public_id) for r in (open_light, pothole, closed)}
    assert ids("status=open") == {str(open_light.public_id), str(pothole.public_id)}
    assert ids("status=closed") == {str(closed.public_id)}
    assert ids("service_code=POTHOLE") == {str(pothole.public_id)}
    assert ids("start_date=2025-01-01T00:00:00Z&end_date=2025-02-01T00:00:00Z") == {
        str(old.public_id)
    }
    # service_request_id overrides every other argument
    assert ids(f"service_request_id={old.public_id},{pothole.public_id}&status=closed") == {
        str(old.public_id),
        str(pothole.public_id),
    }


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("start_date=yesterday", "start_date must be a w3c datetime, e.g. 2026-01-01T00:00:00Z."),
        (
            "start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z",
            "start_date and end_date must span at most 90 days, in order.",
        ),
        ("status=pending", "status must be open or closed."),
    ],
)
def test_get_requests_bad_arguments(client, query, description):
    response = client.get(f"/open311/v2/requests.json?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": description}]


def test_single_request_and_token(client, category):
    report = make_report(category=category, answers={"STATE": ["OFF"]})
    response = client.get(f"/open311/v2/requests/{report.public_id}.json")
    (document,) = response.json()
    assert document["service_request_id"] == str(report.public_id)
    token = client.get(f"/open311/v2/tokens/{report.token}.json").json()
    assert token == [{"service_request_id": str(report.public_id), "token": str(report.token)}]
    xml = client.get(f"/open311/v2/tokens/{report.token}.xml")
    assert _xml_records(xml.content, "service_requests", "request") == token


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/requests/00000000-0000-0000-0000-000000000000.json",
        "/open311/v2/requests/42.json",
        "/open311/v2/tokens/nope.json",
    ],
)
def test_unknown_request_or_token_is_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def test_unknown_format_and_jurisdiction(client):
    assert client.get("/open311/v2/services.csv").status_code == 400
    response = client.get("/open311/v2/services.json?jurisdiction_id=seoul.go.kr")
    assert response.status_code == 404
    assert client.get("/open311/v2/services.json?jurisdiction_id=busan.go.kr").status_code == 200


def test_requests_never_expose_the_reporter(client, category):
    from safety.tests.factories import UserFactory

    citizen = UserFactory(email="secret@example.kr", name="비밀")
    make_report(
        category=category,
        reporter=citizen,
        answers={"STATE": ["OFF"]},
        contact_phone="010-1234-5678",
    )
    body = (
        client.get("/open311/v2/requests.json").content.decode()
        + client.get("/open311/v2/requests.xml").content.decode()
    )
    for secret in ("secret@example.kr", "비밀", "010-1234-5678"):
        assert secret not in body
    assert json.loads(client.get("/open311/v2/requests.json").content)[0]["media_url"] is None


def test_get_requests_takes_every_w3c_datetime_profile(client, category):
    # given a report on 10 January and one on 1 February 2025 in Busan (31 January in UTC)
    january = make_report(category=category, answers={"STATE": ["OFF"]})
    february = make_report(category=category, answers={"STATE": ["OFF"]})
    Report.objects.filter(pk=january.pk).update(created_at="2025-01-10T00:00:00Z")
    Report.objects.filter(pk=february.pk).update(created_at="2025-01-31T20:00:00Z")

    def ids(query):
        response = client.get(f"/open311/v2/requests.json?{query}")
        assert response.status_code == 200, response.content
        return {item["service_request_id"] for item in response.json()}

    both = {str(january.public_id), str(february.public_id)}
    # when dates without time are given, then they are whole Busan days, end_date inclusive
    assert ids("start_date=2025-01-10&end_date=2025-01-31") == {str(january.public_id)}
    assert ids("start_date=2025-01-10&end_date=2025-02-01") == both
    assert ids("start_date=2025-01-11&end_date=2025-02-01") == {str(february.public_id)}
    # and months are whole months
    assert ids("start_date=2025-01&end_date=2025-01") == {str(january.public_id)}
    assert ids("start_date=2025-01&end_date=2025-02") == both
    # and every profile with a time takes Z or an offset
    for start in (
        "2025-01-31T20:00Z",
        "2025-02-01T05:00%2B09:00",
        "2025-01-31T20:00:00Z",
        "2025-01-31T19:59:59.5-00:00",
    ):
        assert ids(f"start_date={start}&end_date=2025-02-28") == {str(february.public_id)}
    # and a year alone is accepted (the 90-day span rule still applies to the pair)
    assert client.get("/open311/v2/requests.json?start_date=2025").status_code == 200


def test_get_requests_refuses_what_is_no_w3c_datetime(client):
    # given values outside the six W3C profiles, some of which ISO 8601 parsers take
    values = [
        "2025-13",
        "2025-02-30",
        "2025-01-10T10:00",
        "2025-01-10T25:00Z",
        "2025-W02",
        "2025-01-10 10:00:00Z",
        "2025-01-10T10Z",
        "2025-01-10T10:00:00%2B0900",
        "20250110T100000Z",
    ]
    for value in values:
        # when one is a start_date
        response = client.get(
            f"/open311/v2/requests.json?start_date={value}", HTTP_ACCEPT_LANGUAGE="en"
        )
        # then it is refused in Open311's error format
        assert response.status_code == 400, value
        assert response.json() == [
            {
                "code": 400,
                "description": "start_date must be a w3c datetime, e.g. 2026-01-01T00:00:00Z.",
            }
        ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_method_an_endpoint_does_not_serve_is_405_in_the_error_format(fmt):
    from django.test import Client

    # Given a client that enforces CSRF as browsers and machines meet it in production
    client = Client(enforce_csrf_checks=True)
    # When a GET-only endpoint is POSTed to
    response = client.post(f"/open311/v2/services.{fmt}", {"service_code": "x"})
    # Then it answers 405 in the spec's errors document (not Django's CSRF page)
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    if fmt == "json":
        assert response.json()[0]["code"] == 405
    else:
        assert b"<errors><error><code>405</code>" in response.content
    # and the collection accepts both of its methods' checks as before (no CSRF page for POST)
    response = client.put("/open311/v2/requests.json")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
