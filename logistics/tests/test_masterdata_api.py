"""`/api/v1/logistics/` master data over HTTP: parties and lots, deactivation, deletion."""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from busanhub.accounts.models import User
from logistics import services
from logistics.models import Event, Location, Lot, Party, Product
from logistics.tests.factories import Chain, PartyFactory, gln, object_event, single


def _fields(response) -> set:
    """The inputs a refusal names (busanhub.api's `errors`)."""
    return {error["field"] for error in response.json()["errors"]}


pytestmark = pytest.mark.django_db


def _partner(party=None):
    party = party or PartyFactory()
    _key, raw = services.partner_key_create(party=party, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, party


def _user(email: str, *groups: str) -> tuple[APIClient, User]:
    user = User.objects.create_user(email=email, password="x" * 12)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = APIClient()
    client.force_authenticate(user)
    return client, user


def _owned_chain() -> Chain:
    chain = Chain()
    Product.objects.filter(pk=chain.whole.pk).update(owner=chain.vessel_co)
    Product.objects.filter(pk=chain.fillet.pk).update(owner=chain.processor)
    chain.whole.refresh_from_db()
    chain.fillet.refresh_from_db()
    return chain


def test_a_member_registers_and_edits_its_parties_and_another_partner_gets_404():
    member, user = _user("member@example.org")
    # a signed-in user without a party may not act
    assert member.get("/api/v1/logistics/parties").status_code == 403
    # staff register a party; its member then edits it
    staff, _ = _user("staff@example.org", "staff-logistics")
    created = staff.post(
        "/api/v1/logistics/parties",
        {"gln": gln("889000000011"), "name": "Gijang Fisheries", "kind": "vessel"},
        format="json",
    )
    assert created.status_code == 201, created.content
    party = Party.objects.get(public_id=created.json()["public_id"])
    assert list(party.members.all()) == []
    party.members.add(user)
    # the member registers a second party, which it joins
    second = member.post(
        "/api/v1/logistics/parties",
        {"gln": gln("889000000012"), "name": "Gijang Cold", "kind": "cold_store"},
        format="json",
    )
    assert second.status_code == 201, second.content
    assert Party.objects.get(gln=gln("889000000012")).members.filter(pk=user.pk).exists()
    listed = member.get("/api/v1/logistics/parties").json()
    assert sorted(row["name"] for row in listed) == ["Gijang Cold", "Gijang Fisheries"]
    url = f"/api/v1/logistics/parties/{party.public_id}"
    renamed = member.patch(url, {"name": "Gijang Fisheries Co.", "contact_email": "a@b.kr"}, "json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "Gijang Fisheries Co."
    # bad input names the field and changes nothing
    bad = member.patch(url, {"gln": "8890000000110", "contact_email": "nope"}, "json")
    assert bad.status_code == 400 and _fields(bad) == {"contact_email"}
    bad_gln = member.patch(url, {"gln": "8890000000110"}, "json")
    assert bad_gln.status_code == 400 and _fields(bad_gln) == {"gln"}
    party.refresh_from_db()
    assert (party.gln, party.contact_email) == (gln("889000000011"), "a@b.kr")
    # another partner neither sees, edits nor deletes it; an API key registers no party
    other, _ = _partner()
    assert other.get(url).status_code == 404
    assert other.patch(url, {"name": "Mine"}, "json").status_code == 404
    assert other.delete(url).status_code == 404
    refused = other.post(
        "/api/v1/logistics/parties",
        {"gln": gln("889000000013"), "name": "By key", "kind": "vessel"},
        format="json",
    )
    assert refused.status_code == 403
    assert not Party.objects.filter(gln=gln("889000000013")).exists()
    assert Party.objects.get(pk=party.pk).name == "Gijang Fisheries Co."


def test_lots_are_registered_edited_and_frozen_by_their_products_owner():
    chain = _owned_chain()
    owner, _ = _partner(chain.vessel_co)
    other, _ = _partner(chain.processor)
    created = owner.post(
        "/api/v1/logistics/lots",
        {"gtin": chain.whole.gtin[1:], "lot_code": "DY-1", "trace_number": "KR-1"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["gtin"], body["lot_code"], body["status"]) == (chain.whole.gtin, "DY-1", "active")
    assert body["identifier"] == f"https://id.gs1.org/01/{chain.whole.gtin}/10/DY-1"
    # a lot of another party's product, an unknown GTIN and a bad code are refused by field
    theirs = other.post(
        "/api/v1/logistics/lots", {"gtin": chain.whole.gtin, "lot_code": "X"}, format="json"
    )
    assert theirs.status_code == 400 and _fields(theirs) == {"gtin"}
    assert _fields(
        owner.post("/api/v1/logistics/lots", {"gtin": "123", "lot_code": "X"}, "json")
    ) == {"gtin"}
    bad_code = owner.post(
        "/api/v1/logistics/lots", {"gtin": chain.whole.gtin, "lot_code": "a b"}, format="json"
    )
    assert bad_code.status_code == 400 and _fields(bad_code) == {"lot_code"}
    duplicate = owner.post(
        "/api/v1/logistics/lots", {"gtin": chain.whole.gtin, "lot_code": "DY-1"}, format="json"
    )
    assert duplicate.status_code == 400 and _fields(duplicate) == {"lot_code"}
    assert Lot.objects.count() == 1
    # each party lists the lots of its own products
    assert [row["lot_code"] for row in owner.get("/api/v1/logistics/lots").json()] == ["DY-1"]
    assert other.get("/api/v1/logistics/lots").json() == []
    url = f"/api/v1/logistics/lots/{body['public_id']}"
    assert other.get(url).status_code == 404
    assert other.patch(url, {"trace_number": "KR-X"}, "json").status_code == 404
    assert owner.patch(url, {"lot_code": "DY-2"}, "json").json()["lot_code"] == "DY-2"
    moved = owner.patch(url, {"gtin": chain.fillet.gtin}, "json")
    assert moved.status_code == 400 and _fields(moved) == {"gtin"}
    # once an event names it, its code is frozen and it cannot be deleted
    event = object_event(chain, lot=chain.lot(chain.whole, "DY-2"), minutes=0, location=chain.plant)
    services.epcis_event_capture(event=single(event))
    frozen = owner.patch(url, {"lot_code": "DY-3"}, "json")
    assert frozen.status_code == 400 and _fields(frozen) == {"lot_code"}
    assert owner.delete(url).status_code == 409
    lot = Lot.objects.get()
    assert (lot.lot_code, lot.product_id) == ("DY-2", chain.whole.pk)


def test_deactivated_rows_are_listed_by_filter_refused_in_capture_and_past_events_stay():
    chain = _owned_chain()
    client, _ = _partner(chain.processor)
    event = object_event(chain, lot=chain.lot(chain.fillet, "F1"), minutes=0, location=chain.plant)
    assert client.post("/epcis/events", single(event), format="json").status_code == 202
    url = f"/api/v1/logistics/locations/{chain.plant.public_id}"
    off = client.patch(url, {"is_active": False}, "json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (
        client.patch(
            f"/api/v1/logistics/products/{chain.fillet.gtin}", {"is_active": False}, "json"
        ).json()["is_active"]
        is False
    )
    # lists filter on it; a bad filter names the parameter
    assert client.get("/api/v1/logistics/locations", {"is_active": "false"}).json()[0]["gln"] == (
        chain.plant.gln
    )
    assert client.get("/api/v1/logistics/locations", {"is_active": "true"}).json() == []
    assert client.get("/api/v1/logistics/products", {"is_active": "true"}).json() == []
    bad = client.get("/api/v1/logistics/locations", {"is_active": "maybe"})
    assert bad.status_code == 400 and _fields(bad) == {"is_active"}
    # a new event at the deactivated plant is refused with the JSON path (422), nothing stored
    later = object_event(chain, lot=chain.lot(chain.fillet, "F2"), minutes=9, location=chain.plant)
    refused = client.post("/epcis/events", single(later), format="json")
    assert refused.status_code == 422
    paths = {error["path"] for error in refused.json()["errors"]}
    assert paths == {"$.readPoint.id", "$.bizLocation.id", "$.quantityList[0].epcClass"}
    assert Event.objects.count() == 1
    # the past event still reads back and is found by its location
    stored = Event.objects.get()
    assert client.get("/epcis/events/" + quote(stored.event_id, safe="")).status_code == 200
    found = client.get(
        "/epcis/events", {"EQ_bizLocation": f"https://id.gs1.org/414/{chain.plant.gln}"}
    )
    listed = found.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["eventID"] for e in listed] == [stored.event_id]
    # a used location is not deleted (409), an unused one is (204)
    assert client.delete(url).status_code == 409
    assert Location.objects.filter(pk=chain.plant.pk).exists()
    spare = services.location_create(
        party=chain.processor, gln=gln("881999999997"), name="Spare", kind="plant"
    )
    assert client.delete(f"/api/v1/logistics/locations/{spare.public_id}").status_code == 204
    assert not Location.objects.filter(pk=spare.pk).exists()


def test_staff_edit_every_row_auditors_edit_none():
    chain = _owned_chain()
    staff, _ = _user("staff@example.org", "staff-logistics")
    auditor, auditor_user = _user("audit@example.org", "auditor")
    url = f"/api/v1/logistics/parties/{chain.retailer.public_id}"
    assert staff.patch(url, {"is_active": False}, "json").json()["is_active"] is False
    assert staff.get("/api/v1/logistics/parties", {"is_active": "false"}).json()[0]["gln"] == (
        chain.retailer.gln
    )
    # an auditor who is also a member of a party reads any row but edits only its own
    chain.vessel_co.members.add(auditor_user)
    assert auditor.get(url).status_code == 200
    assert auditor.patch(url, {"name": "Audited"}, "json").status_code == 404
    assert Party.objects.get(pk=chain.retailer.pk).name == "Haeundae Market"


def test_master_data_lists_take_a_fixed_number_of_queries(django_assert_max_num_queries):
    chain = _owned_chain()
    client, _ = _partner(chain.vessel_co)
    for index in range(30):
        services.lot_create(product=chain.whole, lot_code=f"L{index}")
        services.location_create(
            party=chain.vessel_co, gln=gln(f"88299999{index:04d}"), name=f"V{index}", kind="vessel"
        )
    for path in ("locations", "products", "lots", "parties"):
        with django_assert_max_num_queries(4):
            response = client.get(f"/api/v1/logistics/{path}")
        assert response.status_code == 200
    assert len(client.get("/api/v1/logistics/lots").json()) == 30
