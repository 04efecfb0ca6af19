"""The EPCIS 2.0 REST bindings and the logistics API, over HTTP."""

import json
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from busanhub.accounts.models import User
from logistics import services
from logistics.epcis import schema
from logistics.models import CaptureJob, Event
from logistics.tests.factories import (
    DATA,
    Chain,
    PartyFactory,
    document,
    load,
    object_event,
    register_master_data,
    single,
)

pytestmark = pytest.mark.django_db

EXAMPLES = sorted(p.name for p in DATA.glob("*.jsonld") if p.name != "EPCISQueryDocument.jsonld")


def _partner(party=None):
    party = party or PartyFactory()
    _key, raw = services.partner_key_create(party=party, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, party


def _staff():
    user = User.objects.create_user(email="staff@example.org", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name="staff-logistics")[0])
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_conformance_example_captures_and_reads_back_equal(name):
    # given a partner whose master data covers the example
    original = load(name)
    client, party = _partner()
    register_master_data(original, party)
    # when the document is captured
    response = client.post("/epcis/capture", original, format="json")
    # then 202 with a capture job that succeeded
    assert response.status_code == 202, response.content
    job = client.get(response["Location"])
    assert job.status_code == 200
    assert (job.json()["success"], job.json()["running"]) == (True, False)
    # and every event reads back equal (plus the recordTime the repository adds)
    events = original["epcisBody"]["eventList"]
    for event in events:
        got = client.get("/epcis/events/" + quote(event["eventID"], safe=""))
        assert got.status_code == 200
        body = got.json()
        assert body.pop("recordTime")
        body.pop("@context")
        assert body == event
    # and the query document lists them and validates against the GS1 schema
    query = client.get("/epcis/events", {"perPage": 100})
    assert query.status_code == 200
    assert schema.errors(query.json()) == []
    listed = query.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["eventID"] for e in listed] == [e["eventID"] for e in events]


def test_query_output_equals_gs1_query_document_example():
    # given the two events of example 9.6.1 captured
    client, party = _partner()
    doc = load("Example_9.6.1-ObjectEvent.jsonld")
    register_master_data(doc, party)
    client.post("/epcis/capture", doc, format="json")
    # when queried
    body = client.get("/epcis/events").json()
    # then the event list equals GS1's own query document example (recordTime aside)
    expected = load("EPCISQueryDocument.jsonld")["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"
    ]
    got = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    for event in got:
        event.pop("recordTime")
    assert got == expected
    assert body["@context"] == load("EPCISQueryDocument.jsonld")["@context"]


def test_query_parameters_filter_and_paginate():
    chain = Chain()
    client, _ = _partner(chain.processor)
    lots = [chain.lot(chain.whole, f"L{i}") for i in range(5)]
    events = [
        object_event(
            chain,
            lot=lot,
            minutes=i * 10,
            location=chain.plant,
            bizStep="storing" if i % 2 else "receiving",
        )
        for i, lot in enumerate(lots)
    ]
    assert client.post("/epcis/capture", document(*events), format="json").status_code == 202

    def ids(params):
        body = client.get("/epcis/events", params).json()
        return [
            e["quantityList"][0]["epcClass"]
            for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        ]

    assert ids({"EQ_bizStep": "storing"}) == [lots[1], lots[3]]
    assert ids({"MATCH_anyEPCClass": lots[2]}) == [lots[2]]
    assert ids({"MATCH_epcClass": lots[4], "GE_eventTime": chain.at(40)}) == [lots[4]]
    assert ids({"MATCH_epcClass": lots[4], "LT_eventTime": chain.at(40)}) == []
    assert (
        ids(
            {
                "EQ_bizLocation": chain.sgln(chain.plant),
                "eventType": "ObjectEvent",
                "EQ_action": "OBSERVE",
            }
        )
        == lots
    )
    assert ids({"eventType": "AggregationEvent"}) == []
    # pagination: two per page, following the Link header
    seen, params = [], {"perPage": 2}
    url = "/epcis/events"
    while True:
        response = client.get(url, params)
        body = response.json()
        seen += [
            e["quantityList"][0]["epcClass"]
            for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        ]
        if "Link" not in response:
            break
        url, params = response["Link"].split(";")[0].strip("<>"), None
    assert seen == lots
    bad = client.get("/epcis/events", {"GE_eventTime": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["parameter"] == "GE_eventTime"


def test_list_query_count_is_bounded(django_assert_max_num_queries):
    chain = Chain()
    client, _ = _partner(chain.processor)
    events = [
        object_event(chain, lot=chain.lot(chain.whole, f"Q{i}"), minutes=i, location=chain.plant)
        for i in range(20)
    ]
    client.post("/epcis/capture", document(*events), format="json")
    with django_assert_max_num_queries(6):
        response = client.get("/epcis/events", {"perPage": 50})
    assert len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 20


def test_a_party_sees_only_the_events_it_took_part_in():
    chain = Chain()
    processor_client, _ = _partner(chain.processor)
    stranger_client, _ = _partner(PartyFactory())
    event = object_event(chain, lot=chain.lot(chain.whole, "P1"), minutes=0, location=chain.plant)
    processor_client.post("/epcis/capture", document(event), format="json")
    event_id = Event.objects.get().event_id
    assert (
        stranger_client.get("/epcis/events").json()["epcisBody"]["queryResults"]["resultsBody"][
            "eventList"
        ]
        == []
    )
    assert stranger_client.get("/epcis/events/" + quote(event_id, safe="")).status_code == 404
    assert processor_client.get("/epcis/events/" + quote(event_id, safe="")).status_code == 200
    assert _staff().get("/epcis/events/" + quote(event_id, safe="")).status_code == 200
    # anonymous callers and bad keys are refused; a citizen without a party too
    assert APIClient().get("/epcis/events").status_code in (401, 403)
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer bf_nope")
    assert bad.post("/epcis/capture", {}, format="json").status_code == 401
    citizen = APIClient()
    citizen.force_authenticate(User.objects.create_user(email="c@example.org", password="x" * 12))
    assert citizen.post("/epcis/capture", document(event), format="json").status_code == 403
    assert Event.objects.count() == 1


def test_bad_documents_answer_400_or_422_naming_the_path_and_store_nothing():
    chain = Chain()
    client, _ = _partner(chain.processor)
    doc = load("Example_9.6.1-ObjectEvent.jsonld")
    del doc["epcisBody"]["eventList"][0]["eventTime"]
    response = client.post("/epcis/capture", doc, format="json")
    assert response.status_code == 400
    assert {
        "path": "$.epcisBody.eventList[0]",
        "message": "'eventTime' is a required property",
    } in response.json()["errors"]
    unknown = object_event(
        chain, lot="urn:epc:class:lgtin:9999999.099999.X", minutes=0, location=chain.plant
    )
    response = client.post("/epcis/capture", document(unknown), format="json")
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["path"] == "$.epcisBody.eventList[0].quantityList[0].epcClass"
    )
    response = client.post("/epcis/capture", b"{not json", content_type="application/json")
    assert response.status_code == 400
    event = object_event(chain, lot=chain.lot(chain.whole, "BIG"), minutes=0, location=chain.plant)
    too_big = document(*([event] * (services.MAX_EVENTS_PER_DOCUMENT + 1)))
    response = client.post("/epcis/capture", too_big, format="json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["path"] == "$.epcisBody.eventList"
    assert response["GS1-EPCIS-Capture-Limit"] == "10000"
    assert Event.objects.count() == 0
    assert CaptureJob.objects.filter(status="SUCCESS").count() == 0


def test_single_event_capture_and_json_ld_content_type():
    chain = Chain()
    client, _ = _partner(chain.processor)
    event = single(
        object_event(chain, lot=chain.lot(chain.whole, "S1"), minutes=0, location=chain.plant)
    )
    response = client.post("/epcis/events", json.dumps(event), content_type="application/ld+json")
    assert response.status_code == 202
    assert response.json()["eventCount"] == 1
    assert Event.objects.count() == 1


def test_logger_readings_endpoint():
    chain = Chain()
    client, _ = _partner(chain.processor)
    client.post(
        "/epcis/capture",
        document(
            object_event(chain, lot=chain.lot(chain.whole, "R1"), minutes=0, location=chain.plant)
        ),
        format="json",
    )
    services.device_register(
        party=chain.processor, device_id="logger-9", attached_to=chain.lot(chain.whole, "R1")
    )
    ok = client.post(
        "/api/v1/logistics/readings",
        {"device_id": "logger-9", "readings": [{"time": chain.at(5), "celsius": "2.5"}]},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json() == {"stored": 1, "lots": 1, "breaches": 0}
    missing = client.post(
        "/api/v1/logistics/readings",
        {"readings": [{"time": chain.at(5), "celsius": 2}]},
        format="json",
    )
    assert missing.status_code == 400
    assert "device_id" in missing.json()
    unknown = client.post(
        "/api/v1/logistics/readings",
        {"device_id": "nope", "readings": [{"time": chain.at(5), "celsius": 2}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert "device_id" in unknown.json()


def test_a_partner_manages_its_own_master_data():
    client, party = _partner()
    other_client, other = _partner()
    # given a partner registering a cold store with a valid GLN
    created = client.post(
        "/api/v1/logistics/locations",
        {"gln": "8801234500005", "name": "Amnam cold store", "kind": "cold_store"},
        format="json",
    )
    assert created.status_code == 201, created.content
    # a bad check digit names the field and stores nothing
    bad = client.post(
        "/api/v1/logistics/locations",
        {"gln": "8801234500006", "name": "Typo", "kind": "cold_store"},
        format="json",
    )
    assert bad.status_code == 400
    assert "gln" in bad.json()
    product = client.post(
        "/api/v1/logistics/products",
        {
            "gtin": "8801234500104",
            "name": "Hairtail",
            "product_form": "whole",
            "storage_class": "frozen",
        },
        format="json",
    )
    assert product.status_code == 201, product.content
    assert product.json()["gtin"] == "08801234500104"
    # each partner lists only its own rows
    assert [row["name"] for row in client.get("/api/v1/logistics/locations").json()] == [
        "Amnam cold store"
    ]
    assert other_client.get("/api/v1/logistics/locations").json() == []
    assert other_client.get("/api/v1/logistics/products").json() == []
    from logistics.models import Location

    assert Location.objects.filter(party=other).count() == 0
    assert Location.objects.filter(party=party).count() == 1


def test_a_partner_edits_its_own_master_data_and_identifiers_freeze_once_used():
    from logistics.models import Location, Product

    client, party = _partner()
    other_client, _other = _partner()
    location = services.location_create(
        party=party, gln="8801234500005", name="Amnam cold store", kind="cold_store"
    )
    product = services.product_create(
        gtin="8801234500104",
        name="Hairtail",
        product_form="whole",
        storage_class="frozen",
        owner=party,
    )
    url = f"/api/v1/logistics/locations/{location.public_id}"
    # when the owner renames its location and corrects its GLN (no event names it yet)
    renamed = client.patch(url, {"name": "Amnam cold store 2", "gln": "8801234500012"}, "json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["gln"] == "8801234500012"
    # another partner neither sees nor edits it
    assert other_client.patch(url, {"name": "Mine"}, "json").status_code == 404
    assert other_client.get(url).status_code == 404
    # a bad value names its field and changes nothing
    bad = client.patch(url, {"kind": "castle"}, "json")
    assert bad.status_code == 400 and "kind" in bad.json()
    location.refresh_from_db()
    assert (location.name, location.kind) == ("Amnam cold store 2", "cold_store")
    # staff edit any partner's row
    assert (
        _staff().patch(url, {"latitude": "35.1", "longitude": "129.0"}, "json").status_code == 200
    )
    # once an event names the location and the product, their identifiers are frozen
    lot = f"https://id.gs1.org/01/{product.gtin}/10/HT-1"
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+09:00",
        "action": "OBSERVE",
        "quantityList": [{"epcClass": lot, "quantity": 5, "uom": "KGM"}],
        "bizLocation": {"id": "https://id.gs1.org/414/8801234500012"},
    }
    services.epcis_event_capture(event=single(event), party=party)
    frozen = client.patch(url, {"gln": "8801234500029"}, "json")
    assert frozen.status_code == 400 and "gln" in frozen.json()
    product_url = f"/api/v1/logistics/products/{product.gtin}"
    frozen_gtin = client.patch(product_url, {"gtin": "8801234500111"}, "json")
    assert frozen_gtin.status_code == 400 and "gtin" in frozen_gtin.json()
    # while the other fields still change
    assert client.patch(product_url, {"name_ko": "갈치"}, "json").json()["name_ko"] == "갈치"
    assert Location.objects.get(pk=location.pk).gln == "8801234500012"
    assert Product.objects.get(pk=product.pk).gtin == "08801234500104"
    assert other_client.patch(product_url, {"name": "x"}, "json").status_code == 404
