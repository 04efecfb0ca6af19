"""Provenance over HTTP: a partner cannot write another partner's history (issue 14 items 4, 14).

Partner A and partner B each hold a key. A must not attach a logger to B's lot, declare B's lot
breached, or capture events at B's locations; a deactivated party's keys and members act for
nobody until staff reactivate it.
"""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from busanhub.accounts.models import User
from busanhub.chain.models import AnchorLeaf
from logistics import services
from logistics.epcis import identifiers
from logistics.models import Alert, Breach, CaptureJob, Device, Event, Location, Lot, Reading
from logistics.tests.factories import (
    Chain,
    LocationFactory,
    document,
    object_event,
    sensor_elements,
    single,
)

pytestmark = pytest.mark.django_db


def _key_client(party) -> APIClient:
    _key, raw = services.partner_key_create(party=party, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _user_client(email: str, *groups: str) -> tuple[APIClient, User]:
    user = User.objects.create_user(email=email, password="x" * 12)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = APIClient()
    client.force_authenticate(user)
    return client, user


class Partners:
    """A = the vessel operator (attacker), B = the processor (victim) with a captured lot."""

    def __init__(self):
        self.chain = chain = Chain()
        self.a, self.b = chain.vessel_co, chain.processor
        self.a_site, self.b_site = chain.vessel, chain.plant
        self.client_a, self.client_b = _key_client(self.a), _key_client(self.b)
        # B's lot, received at B's plant (captured by B)
        self.b_lot = chain.lot(chain.whole, "B-LOT-1")
        response = self.client_b.post(
            "/epcis/capture",
            document(object_event(chain, lot=self.b_lot, minutes=0, location=self.b_site)),
            format="json",
        )
        assert response.status_code == 202, response.content
        self.lot = Lot.objects.get(identifier=identifiers.canonical(self.b_lot))

    def b_event_ids(self) -> list[str]:
        query = self.client_b.get("/epcis/events", {"perPage": 100})
        listed = query.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        return [event["eventID"] for event in listed]


@pytest.fixture
def partners():
    return Partners()


def _post_event(client, event: dict):
    return client.post("/epcis/events", json.dumps(single(event)), content_type="application/json")


# Item 4: loggers ---------------------------------------------------------------------------


def test_a_logger_of_party_a_cannot_attach_to_party_bs_lot(partners):
    # given B's lot, which A never held nor took part in
    # when A attaches a logger to it through the API
    response = partners.client_a.post(
        "/api/v1/logistics/devices",
        {"device_id": "a-logger-1", "attached_to": partners.b_lot},
        format="json",
    )
    # then 400 naming attached_to, and no logger exists
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["attached_to"]
    assert Device.objects.count() == 0


def test_a_logger_attached_to_another_partys_lot_declares_no_breach(partners):
    # given a logger of A attached to B's lot before the rule existed
    Device.objects.create(device_id="a-logger-2", party=partners.a, attached_to=partners.b_lot)
    # when A sends a 30 °C reading for it
    response = partners.client_a.post(
        "/api/v1/logistics/readings",
        {"device_id": "a-logger-2", "readings": [{"time": partners.chain.at(5), "celsius": 30}]},
        format="json",
    )
    # then 400 naming the device; B's lot is untouched: no reading, breach, alert or anchor
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["device_id"]
    partners.lot.refresh_from_db()
    assert partners.lot.status == Lot.Status.ACTIVE
    assert Reading.objects.count() == 0
    assert Breach.objects.count() == 0
    assert Alert.objects.count() == 0
    assert AnchorLeaf.objects.filter(kind="logistics.breach").count() == 0
    consumer = APIClient().get(partners.lot.identifier.replace(identifiers.DL_ROOT, ""))
    assert consumer.status_code == 200
    assert Breach.objects.filter(lot=partners.lot).count() == 0


def test_a_logger_attaches_to_its_own_goods_and_to_goods_shipped_to_its_party(partners):
    chain = partners.chain
    # given B ships its lot to A's vessel site (destination: A's location)
    shipped = object_event(
        chain,
        lot=partners.b_lot,
        minutes=30,
        location=partners.b_site,
        bizStep="shipping",
        destinationList=[{"type": "location", "destination": chain.sgln(partners.a_site)}],
    )
    assert _post_event(partners.client_b, shipped).status_code == 202
    # when A attaches a logger to that lot, and B one to its own lot
    a_logger = partners.client_a.post(
        "/api/v1/logistics/devices",
        {"device_id": "a-logger-3", "attached_to": partners.b_lot},
        format="json",
    )
    b_logger = partners.client_b.post(
        "/api/v1/logistics/devices",
        {"device_id": "b-logger-1", "attached_to": partners.b_lot},
        format="json",
    )
    # then both are accepted, and B's logger reports on the lot
    assert (a_logger.status_code, b_logger.status_code) == (201, 201), a_logger.content
    readings = partners.client_b.post(
        "/api/v1/logistics/readings",
        {"device_id": "b-logger-1", "readings": [{"time": chain.at(40), "celsius": "2.5"}]},
        format="json",
    )
    assert readings.status_code == 201
    assert Reading.objects.get().celsius == Decimal("2.50")


# Item 4: locations of captured events --------------------------------------------------------


def test_a_document_naming_another_partys_location_is_refused_whole(partners):
    chain = partners.chain
    # given a document whose first event is at A's own site and whose second is a
    # `destroying` of B's lot at B's plant
    own = object_event(
        chain, lot=chain.lot(chain.whole, "A-1"), minutes=5, location=partners.a_site
    )
    forged = object_event(
        chain, lot=partners.b_lot, minutes=10, location=partners.b_site, bizStep="destroying"
    )
    events_before, lots_before = Event.objects.count(), Lot.objects.count()
    leaves_before = AnchorLeaf.objects.filter(kind="logistics.event").count()
    # when A captures it
    response = partners.client_a.post("/epcis/capture", document(own, forged), format="json")
    # then 403 naming both places of the second event, and nothing of the document is stored
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "epcisException:SecurityException"
    assert [(error["path"], error["code"]) for error in body["errors"]] == [
        ("$.epcisBody.eventList[1].readPoint.id", "foreign_location"),
        ("$.epcisBody.eventList[1].bizLocation.id", "foreign_location"),
    ]
    assert Event.objects.count() == events_before
    assert Lot.objects.count() == lots_before
    assert AnchorLeaf.objects.filter(kind="logistics.event").count() == leaves_before
    assert CaptureJob.objects.filter(party=partners.a).get().status == CaptureJob.Status.FAILED
    # and B's queries show only B's own event
    assert len(partners.b_event_ids()) == 1


@pytest.mark.parametrize(
    ("key", "spelling"),
    [
        ("bizLocation", "urn"),
        ("readPoint", "urn"),
        ("bizLocation", "digital-link"),
        ("bizLocation", "party-gln"),
    ],
)
def test_one_event_at_another_partys_place_is_refused_in_every_spelling(partners, key, spelling):
    chain = partners.chain
    place = {
        "urn": chain.sgln(partners.b_site),
        "digital-link": f"{identifiers.DL_ROOT}/414/{partners.b_site.gln}",
        "party-gln": f"urn:epc:id:pgln:{partners.b.gln[:7]}.{partners.b.gln[7:12]}",
    }[spelling]
    event = object_event(
        chain, lot=partners.b_lot, minutes=10, location=partners.a_site, bizStep="destroying"
    )
    event[key] = {"id": place}
    # when A posts it
    response = _post_event(partners.client_a, event)
    # then 403 with the JSON path of the place, and nothing stored
    assert response.status_code == 403, response.content
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [
        (f"$.{key}.id", "foreign_location")
    ]
    assert Event.objects.count() == 1
    assert len(partners.b_event_ids()) == 1


def _transfer(partners, *, step: str, sources=(), destinations=()) -> dict:
    chain = partners.chain
    event = object_event(
        chain, lot=chain.lot(chain.whole, "A-9"), minutes=20, location=partners.a_site, bizStep=step
    )
    if sources:
        event["sourceList"] = [{"type": kind, "source": value} for kind, value in sources]
    if destinations:
        event["destinationList"] = [
            {"type": kind, "destination": value} for kind, value in destinations
        ]
    return event


def _pgln(party) -> str:
    return f"urn:epc:id:pgln:{party.gln[:7]}.{party.gln[7:12]}"


def test_a_shipping_names_another_party_only_as_destination_and_a_receiving_only_as_source(
    partners,
):
    chain = partners.chain
    a_owner, b_owner = ("owning_party", _pgln(partners.a)), ("owning_party", _pgln(partners.b))
    b_place = ("location", chain.sgln(partners.b_site))
    # when A ships from itself to B's plant, and receives at its site from B
    shipping = _transfer(partners, step="shipping", sources=[a_owner], destinations=[b_place])
    receiving = _transfer(
        partners,
        step="receiving",
        sources=[b_owner],
        destinations=[a_owner],
    )
    receiving["eventTime"] = chain.at(25)
    # then both are captured and linked to B, which sees them
    assert _post_event(partners.client_a, shipping).status_code == 202
    assert _post_event(partners.client_a, receiving).status_code == 202
    assert len(partners.b_event_ids()) == 3


@pytest.mark.parametrize(
    ("step", "field", "path"),
    [
        ("shipping", "source", "$.sourceList[0].source"),
        (
            "https://ref.gs1.org/cbv/BizStep-receiving",
            "destination",
            "$.destinationList[0].destination",
        ),
        ("destroying", "destination", "$.destinationList[0].destination"),
        ("destroying", "source", "$.sourceList[0].source"),
    ],
)
def test_another_party_on_the_capturers_side_of_a_transfer_is_refused(partners, step, field, path):
    b_place = ("location", partners.chain.sgln(partners.b_site))
    if field == "source":
        event = _transfer(partners, step=step, sources=[b_place])
    else:
        event = _transfer(partners, step=step, destinations=[b_place])
    # when A posts it
    response = _post_event(partners.client_a, event)
    # then 403 naming the source or destination, nothing stored, B sees nothing new
    assert response.status_code == 403, response.content
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [(path, "foreign_party")]
    assert Event.objects.count() == 1
    assert len(partners.b_event_ids()) == 1


def test_an_inspection_on_receipt_names_the_sender_when_the_capturer_is_the_receiver(partners):
    chain = partners.chain
    a_owner, b_owner = ("owning_party", _pgln(partners.a)), ("owning_party", _pgln(partners.b))
    # given an inspection at A's site carrying the transfer's lists (as GS1's own example does)
    inspected = _transfer(partners, step="inspecting", sources=[b_owner], destinations=[a_owner])
    # when A posts it, it is captured: A is the whole near side, B the far side
    assert _post_event(partners.client_a, inspected).status_code == 202
    # but with B on both sides, A claims a transfer between others: refused, nothing stored
    between_others = _transfer(
        partners, step="inspecting", sources=[b_owner], destinations=[b_owner]
    )
    between_others["eventTime"] = chain.at(30)
    response = _post_event(partners.client_a, between_others)
    assert response.status_code == 403
    assert {e["code"] for e in response.json()["errors"]} == {"foreign_party"}
    assert Event.objects.count() == 2


def test_staff_capture_across_partners_and_a_partner_at_its_new_location(partners):
    chain = partners.chain
    staff, _ = _user_client("staff@example.org", "staff-logistics")
    # given a second site of A
    second = LocationFactory(party=partners.a, name="A's second site")
    # when staff capture at B's plant and A at its second site
    at_b = object_event(chain, lot=partners.b_lot, minutes=50, location=partners.b_site)
    at_a = object_event(chain, lot=chain.lot(chain.whole, "A-2"), minutes=55, location=second)
    assert _post_event(staff, at_b).status_code == 202
    assert _post_event(partners.client_a, at_a).status_code == 202
    assert Event.objects.count() == 3


def test_sensor_data_of_party_a_on_party_bs_lot_is_refused(partners):
    chain = partners.chain
    # given an observation of B's lot at A's own site, carrying a 30 °C reading
    event = object_event(
        chain,
        lot=partners.b_lot,
        minutes=10,
        location=partners.a_site,
        sensorElementList=sensor_elements(chain, [(10, 30.0)]),
    )
    leaves_before = AnchorLeaf.objects.count()
    # when A posts it
    response = _post_event(partners.client_a, event)
    # then 403 naming the sensor data; B's lot has no reading, breach or alert; nothing stored
    assert response.status_code == 403, response.content
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [
        ("$.sensorElementList", "foreign_goods")
    ]
    assert Event.objects.count() == 1
    assert AnchorLeaf.objects.count() == leaves_before
    assert (Reading.objects.count(), Breach.objects.count(), Alert.objects.count()) == (0, 0, 0)
    partners.lot.refresh_from_db()
    assert partners.lot.status == Lot.Status.ACTIVE


def test_sensor_data_on_a_pallet_shipped_to_the_capturer_and_on_its_new_lot_is_stored(partners):
    chain = partners.chain
    pallet = "urn:epc:id:sscc:8800000.0000000042"
    # given B packs its lot on a pallet and ships the pallet to A's site
    pack = {
        "type": "AggregationEvent",
        "eventTime": chain.at(20),
        "eventTimeZoneOffset": "+09:00",
        "action": "ADD",
        "parentID": pallet,
        "childQuantityList": [{"epcClass": partners.b_lot, "quantity": 100, "uom": "KGM"}],
        "bizStep": "packing",
        "bizLocation": {"id": chain.sgln(partners.b_site)},
    }
    ship = {
        "type": "ObjectEvent",
        "eventTime": chain.at(30),
        "eventTimeZoneOffset": "+09:00",
        "action": "OBSERVE",
        "epcList": [pallet],
        "bizStep": "shipping",
        "bizLocation": {"id": chain.sgln(partners.b_site)},
        "destinationList": [{"type": "location", "destination": chain.sgln(partners.a_site)}],
    }
    assert (
        partners.client_b.post("/epcis/capture", document(pack, ship), format="json").status_code
        == 202
    )
    # when A receives the pallet with a reading, and commissions a lot of its own with one
    receive = {
        **ship,
        "eventTime": chain.at(60),
        "bizStep": "receiving",
        "bizLocation": {"id": chain.sgln(partners.a_site)},
        "sensorElementList": sensor_elements(chain, [(60, 3.0)]),
    }
    del receive["destinationList"]
    own = object_event(
        chain,
        lot=chain.lot(chain.whole, "A-NEW"),
        minutes=61,
        location=partners.a_site,
        action="ADD",
        bizStep="commissioning",
        sensorElementList=sensor_elements(chain, [(61, 2.0)]),
    )
    response = partners.client_a.post("/epcis/capture", document(receive, own), format="json")
    # then both are stored with their readings
    assert response.status_code == 202, response.content
    assert sorted(Reading.objects.values_list("lot__lot_code", "celsius")) == [
        ("A-NEW", Decimal("2.00")),
        ("B-LOT-1", Decimal("3.00")),
    ]


# Item 14: a deactivated party's keys and members ---------------------------------------------


def test_a_deactivated_partys_key_is_refused_until_staff_reactivate_the_party(partners):
    chain = partners.chain
    staff, _ = _user_client("staff@example.org", "staff-logistics")
    party_url = f"/api/v1/logistics/parties/{partners.a.public_id}"
    event = object_event(chain, lot=chain.lot(chain.whole, "A-5"), minutes=5, location=chain.vessel)
    # given staff deactivate A
    assert staff.patch(party_url, {"is_active": False}, format="json").status_code == 200
    jobs_before, locations_before = CaptureJob.objects.count(), Location.objects.count()
    # when A's key captures, lists and registers master data, or reactivates A itself
    capture = _post_event(partners.client_a, event)
    listing = partners.client_a.get("/api/v1/logistics/locations")
    created = partners.client_a.post(
        "/api/v1/logistics/locations",
        {"gln": "8801234500005", "name": "Sneaky store", "kind": "cold_store"},
        format="json",
    )
    reactivate = partners.client_a.patch(party_url, {"is_active": True}, format="json")
    # then every call is refused (401) and nothing changed
    assert [r.status_code for r in (capture, listing, created, reactivate)] == [401] * 4
    assert Event.objects.count() == 1
    assert CaptureJob.objects.count() == jobs_before
    assert Location.objects.count() == locations_before
    partners.a.refresh_from_db()
    assert partners.a.is_active is False
    # when staff reactivate A, the same key works again
    assert staff.patch(party_url, {"is_active": True}, format="json").status_code == 200
    assert _post_event(partners.client_a, event).status_code == 202
    assert partners.client_a.get("/api/v1/logistics/locations").status_code == 200
    assert Event.objects.count() == 2


def test_a_member_of_a_deactivated_party_can_neither_capture_nor_edit(partners):
    chain = partners.chain
    member, user = _user_client("member@example.org")
    partners.a.members.add(user)
    services.party_update(party=partners.a, changes={"is_active": False})
    event = object_event(chain, lot=chain.lot(chain.whole, "A-6"), minutes=5, location=chain.vessel)
    # when the member captures or reactivates its party
    capture = _post_event(member, event)
    reactivate = member.patch(
        f"/api/v1/logistics/parties/{partners.a.public_id}", {"is_active": True}, format="json"
    )
    # then both are refused and nothing changed
    assert (capture.status_code, reactivate.status_code) == (403, 403)
    assert Event.objects.count() == 1
    partners.a.refresh_from_db()
    assert partners.a.is_active is False


def test_only_staff_reactivate_a_party_from_the_partner_pages(partners):
    member_user = User.objects.create_user(email="member@example.org", password="x" * 12)
    staff_user = User.objects.create_user(email="staff@example.org", password="x" * 12)
    staff_user.groups.add(Group.objects.get_or_create(name="staff-logistics")[0])
    partners.a.members.add(member_user)
    services.party_update(party=partners.a, changes={"is_active": False})
    url = f"/logistics/partner/parties/{partners.a.public_id}/active"
    member, staff = Client(), Client()
    member.force_login(member_user)
    staff.force_login(staff_user)
    # when the deactivated party's member reactivates it, it is refused and nothing changes
    assert member.post(url, {"is_active": "1"}).status_code == 403
    partners.a.refresh_from_db()
    assert partners.a.is_active is False
    # when staff reactivate it, it is active again
    assert staff.post(url, {"is_active": "1"}).status_code == 302
    partners.a.refresh_from_db()
    assert partners.a.is_active is True
