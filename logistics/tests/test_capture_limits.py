"""What a capture may not carry: numbers its columns cannot hold, bodies over their limits."""

import json

import pytest
from rest_framework.test import APIClient

from logistics import services
from logistics.models import CaptureJob, Event, Reading
from logistics.tests.factories import Chain, document, object_event, sensor_elements, single

pytestmark = pytest.mark.django_db


def _partner(party):
    _key, raw = services.partner_key_create(party=party, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_temperature_over_the_column_is_422_naming_the_path_and_stores_nothing():
    # Given a chain and an event whose sensor reports 123456789.123 °C (numeric(6, 2) holds
    # at most 9999.99)
    chain = Chain()
    client = _partner(chain.processor)
    lot = chain.lot(chain.whole, "HOT")
    event = object_event(
        chain,
        lot=lot,
        minutes=0,
        location=chain.plant,
        sensorElementList=sensor_elements(chain, [(0, 3.5), (1, 123456789.123)]),
    )
    # When it is captured, as a document and as a single event
    response = client.post("/epcis/capture", document(event), format="json")
    single_response = client.post("/epcis/events", single(event), format="json")
    # Then both are refused with the JSON path of the value (not a 500), and nothing is stored
    assert response.status_code == 422
    assert {
        "path": "$.epcisBody.eventList[0].sensorElementList[1].sensorReport[0].value",
        "code": "out_of_range",
        "message": "a temperature must lie between -9999.99 and 9999.99 degrees Celsius",
    } in response.json()["errors"]
    assert single_response.status_code == 422
    paths = [error["path"] for error in single_response.json()["errors"]]
    assert paths == ["$.sensorElementList[1].sensorReport[0].value"]
    assert Event.objects.count() == 0 and Reading.objects.count() == 0
    assert set(CaptureJob.objects.values_list("status", flat=True)) == {CaptureJob.Status.FAILED}


def test_a_quantity_over_the_column_is_422_naming_the_path():
    chain = Chain()
    client = _partner(chain.processor)
    event = object_event(chain, lot=chain.lot(chain.whole, "MANY"), minutes=0, location=chain.plant)
    event["quantityList"][0]["quantity"] = 1e15  # numeric(18, 6) holds under 10**12
    response = client.post("/epcis/capture", document(event), format="json")
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["path"] == "$.epcisBody.eventList[0].quantityList[0].quantity"
    )
    assert response.json()["errors"][0]["code"] == "out_of_range"
    assert Event.objects.count() == 0


def test_bodies_over_their_endpoints_limits_are_413_in_each_format(settings):
    # Given small limits, so the test sends small bodies
    settings.REQUEST_BODY_LIMITS = [("/epcis/capture", 4096), ("/epcis/events", 1024)]
    settings.REQUEST_BODY_LIMIT_DEFAULT = 2048
    chain = Chain()
    client = _partner(chain.processor)
    event = object_event(chain, lot=chain.lot(chain.whole, "BIG"), minutes=0, location=chain.plant)
    event["padding"] = "x" * 1500  # a single event of some 2 KB
    body = json.dumps(single(event))
    # When a 2 KB single event is posted (limit 1 KB) and a 3 KB document (limit 4 KB)
    too_big = client.post("/epcis/events", body, content_type="application/json")
    fits = client.post(
        "/epcis/capture", json.dumps(document(event)), content_type="application/json"
    )
    api = client.post("/api/v1/logistics/readings", "x" * 3000, content_type="application/json")
    open311 = APIClient().post(
        "/open311/v2/requests.json",
        "description=" + "x" * 3000,
        content_type="application/x-www-form-urlencoded",
    )
    # Then the event is refused with 413 in EPCIS's format, before a capture job is opened
    assert too_big.status_code == 413
    assert CaptureJob.objects.count() == (0 if fits.status_code == 413 else 1)
    assert too_big.json()["type"] == "epcisException:CaptureLimitExceededException"
    assert too_big.json()["errors"][0]["code"] == "too_large"
    assert fits.status_code != 413
    # and the portal API and Open311 answer in their own formats
    assert api.status_code == 413
    assert api.json()["errors"] == [
        {"field": None, "code": "too_large", "message": api.json()["detail"]}
    ]
    assert open311.status_code == 413 and open311.json()[0]["code"] == 413


def test_the_schema_documents_each_operations_body_limit(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    capture = schema["paths"]["/epcis/capture"]["post"]["responses"]["413"]
    assert f"Limit: {16 * 1024 * 1024} bytes" in capture["description"]
    event = schema["paths"]["/epcis/events"]["post"]["responses"]["413"]
    assert f"Limit: {1024 * 1024} bytes" in event["description"]
