"""Master data through the services: edits, frozen identifiers, deactivation, refused deletes,
and capture refusing new events that name deactivated rows."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logistics import services
from logistics.epcis import identifiers
from logistics.models import CaptureJob, Event, Location, Lot, Party, Product
from logistics.tests.factories import Chain, PartyFactory, document, gln, object_event, single

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return Chain()


def _own(chain: Chain) -> None:
    chain.whole.owner = chain.vessel_co
    chain.whole.save(update_fields=["owner"])


def _ship(chain: Chain, *, lot: str, minutes: int, to) -> dict:
    """A shipping event from the vessel whose destination is `to` (a location or a party)."""
    urn = (
        identifiers.sgln_urn(gln=to.gln)
        if isinstance(to, Location)
        else f"urn:epc:id:pgln:{to.gln[:7]}.{to.gln[7:12]}"
    )
    return object_event(
        chain,
        lot=lot,
        minutes=minutes,
        location=chain.vessel,
        bizStep="shipping",
        destinationList=[{"type": "owning_party", "destination": urn}],
    )


# Parties


def test_party_update_changes_fields_and_freezes_its_gln_once_events_name_it(chain):
    party = chain.retailer
    new_gln = gln("889000000001")
    party = services.party_update(party=party, changes={"name": "Haeundae Mart", "gln": new_gln})
    assert (party.name, party.gln) == ("Haeundae Mart", new_gln)
    # a bad GLN names the field and changes nothing
    with pytest.raises(ValidationError) as bad:
        services.party_update(party=party, changes={"gln": "8890000000011", "name": "X"})
    assert list(bad.value.message_dict) == ["gln"]
    party.refresh_from_db()
    assert (party.name, party.gln) == ("Haeundae Mart", new_gln)
    # once an event names its shop, the party's GLN is frozen
    services.epcis_event_capture(
        event=single(
            object_event(chain, lot=chain.lot(chain.whole, "L1"), minutes=0, location=chain.shop)
        )
    )
    with pytest.raises(ValidationError) as frozen:
        services.party_update(party=party, changes={"gln": gln("889000000002")})
    assert list(frozen.value.message_dict) == ["gln"]
    assert Party.objects.get(pk=party.pk).gln == new_gln
    # an unknown field is ignored, a bad kind names its field
    with pytest.raises(ValidationError) as kind:
        services.party_update(party=party, changes={"kind": "castle"})
    assert list(kind.value.message_dict) == ["kind"]
    assert Party.objects.get(pk=party.pk).kind == Party.Kind.RETAILER


def test_party_create_adds_the_member_and_refuses_a_taken_gln():
    from busanhub.accounts.models import User

    user = User.objects.create_user(email="m@example.org", password="x" * 12)
    party = services.party_create(
        gln=gln("889000000003"), name="Gijang Fisheries", kind="vessel", member=user
    )
    assert list(party.members.all()) == [user]
    with pytest.raises(ValidationError) as taken:
        services.party_create(gln=party.gln, name="Copy", kind="vessel")
    assert list(taken.value.message_dict) == ["gln"]
    assert Party.objects.filter(gln=party.gln).count() == 1


# Lots


def test_lot_create_checks_its_code_product_and_uniqueness(chain):
    lot = services.lot_create(product=chain.whole, lot_code="DY-2611/01", trace_number="KR-1")
    assert lot.identifier == f"https://id.gs1.org/01/{chain.whole.gtin}/10/DY-2611%2F01"
    assert lot.identifier == identifiers.canonical(chain.lot(chain.whole, "DY-2611/01"))
    for code in ("", "with space", "한글", "X" * 21):
        with pytest.raises(ValidationError) as bad:
            services.lot_create(product=chain.whole, lot_code=code)
        assert list(bad.value.message_dict) == ["lot_code"]
    with pytest.raises(ValidationError) as taken:
        services.lot_create(product=chain.whole, lot_code="DY-2611/01")
    assert list(taken.value.message_dict) == ["lot_code"]
    services.product_update(product=chain.fillet, changes={"is_active": False})
    with pytest.raises(ValidationError) as inactive:
        services.lot_create(product=chain.fillet, lot_code="F1")
    assert list(inactive.value.message_dict) == ["product"]
    assert Lot.objects.count() == 1


def test_lot_code_changes_until_events_name_the_lot_and_a_capture_then_uses_the_lot(chain):
    lot = services.lot_create(product=chain.whole, lot_code="TYPO")
    lot = services.lot_update(lot=lot, changes={"lot_code": "DY1", "trace_number": "KR-9"})
    assert (lot.lot_code, lot.trace_number) == ("DY1", "KR-9")
    assert lot.identifier == f"https://id.gs1.org/01/{chain.whole.gtin}/10/DY1"
    # a capture naming the lot uses the registered row (no second lot)
    event = object_event(chain, lot=chain.lot(chain.whole, "DY1"), minutes=0, location=chain.plant)
    services.epcis_event_capture(event=single(event))
    assert Lot.objects.get().pk == lot.pk
    with pytest.raises(ValidationError) as frozen:
        services.lot_update(lot=lot, changes={"lot_code": "DY2"})
    assert list(frozen.value.message_dict) == ["lot_code"]
    # the traceability number still changes
    assert services.lot_update(lot=lot, changes={"trace_number": "KR-10"}).trace_number == "KR-10"
    lot.refresh_from_db()
    assert (lot.lot_code, lot.trace_number) == ("DY1", "KR-10")
    # a code another lot of the product has is refused
    other = services.lot_create(product=chain.whole, lot_code="DY3")
    with pytest.raises(ValidationError) as taken:
        services.lot_update(lot=other, changes={"lot_code": "DY1"})
    assert list(taken.value.message_dict) == ["lot_code"]
    assert Lot.objects.get(pk=other.pk).lot_code == "DY3"


# Deleting and the references that refuse it


def test_unused_rows_are_deleted_and_used_rows_are_refused_unchanged(chain):
    lot_code = chain.lot(chain.whole, "L1")
    services.epcis_event_capture(
        event=single(object_event(chain, lot=lot_code, minutes=0, location=chain.plant))
    )
    used_lot = Lot.objects.get()
    spare_party = PartyFactory()
    spare_location = services.location_create(
        party=chain.processor, gln=gln("881999999999"), name="Spare", kind="plant"
    )
    spare_product = services.product_create(
        gtin="8801234500104", name="Hairtail", product_form="whole", storage_class="frozen"
    )
    spare_lot = services.lot_create(product=chain.fillet, lot_code="F9")
    for refused in (
        lambda: services.party_delete(party=chain.processor),
        lambda: services.location_delete(location=chain.plant),
        lambda: services.product_delete(product=chain.whole),
        lambda: services.lot_delete(lot=used_lot),
    ):
        with pytest.raises(ValidationError) as error:
            refused()
        assert error.value.code == "referenced"
    assert Party.objects.filter(pk=chain.processor.pk).exists()
    assert Location.objects.filter(pk=chain.plant.pk).exists()
    assert Product.objects.filter(pk=chain.whole.pk).exists()
    assert Lot.objects.filter(pk=used_lot.pk).exists()
    services.lot_delete(lot=spare_lot)
    services.product_delete(product=spare_product)
    services.location_delete(location=spare_location)
    services.party_delete(party=spare_party)
    assert not Lot.objects.filter(pk=spare_lot.pk).exists()
    assert not Product.objects.filter(pk=spare_product.pk).exists()
    assert not Location.objects.filter(pk=spare_location.pk).exists()
    assert not Party.objects.filter(pk=spare_party.pk).exists()
    # a party with locations but no event is still used
    with pytest.raises(ValidationError):
        services.party_delete(party=chain.retailer)


@pytest.mark.parametrize("spelling", ["urn", "digital_link"])
def test_a_location_named_only_as_a_destination_is_used(chain, spelling):
    # given the shop named only in an event's destinationList
    destination = (
        identifiers.sgln_urn(gln=chain.shop.gln)
        if spelling == "urn"
        else f"https://example.org/414/{chain.shop.gln}/254/2"
    )
    event = object_event(
        chain,
        lot=chain.lot(chain.whole, "L1"),
        minutes=0,
        location=chain.vessel,
        destinationList=[{"type": "location", "destination": destination}],
    )
    services.epcis_event_capture(event=single(event))
    # then its GLN is frozen and it cannot be deleted
    assert services.location_is_referenced(chain.shop)
    with pytest.raises(ValidationError) as frozen:
        services.location_update(location=chain.shop, changes={"gln": gln("881999999998")})
    assert list(frozen.value.message_dict) == ["gln"]
    with pytest.raises(ValidationError):
        services.location_delete(location=chain.shop)
    assert Location.objects.get(pk=chain.shop.pk).gln == chain.shop.gln
    # while a location of the same party that no event names is not used, even when its GLN
    # shares all but the last digits with the shop's
    near = services.location_create(
        party=chain.retailer,
        gln=gln(chain.shop.gln[:11] + str((int(chain.shop.gln[11]) + 1) % 10)),
        name="Near",
        kind="shop",
    )
    assert not services.location_is_referenced(near)


# Capture and deactivated master data


def test_capture_refuses_a_deactivated_location_and_product_naming_the_json_path(chain):
    old = object_event(chain, lot=chain.lot(chain.whole, "L1"), minutes=0, location=chain.plant)
    services.epcis_event_capture(event=single(old))
    services.location_update(location=chain.plant, changes={"is_active": False})
    services.product_update(product=chain.fillet, changes={"is_active": False})
    events, jobs = Event.objects.count(), CaptureJob.objects.count()
    new = object_event(chain, lot=chain.lot(chain.whole, "L2"), minutes=5, location=chain.plant)
    fillet = object_event(chain, lot=chain.lot(chain.fillet, "F1"), minutes=6, location=chain.shop)
    fillet["epcList"] = [f"https://id.gs1.org/01/{chain.fillet.gtin}/21/7"]
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=document(new, fillet))
    assert refused.value.status == 422
    assert sorted((e["path"], e["message"]) for e in refused.value.errors) == sorted(
        [
            (
                "$.epcisBody.eventList[0].readPoint.id",
                f"location GLN {chain.plant.gln} is inactive",
            ),
            (
                "$.epcisBody.eventList[0].bizLocation.id",
                f"location GLN {chain.plant.gln} is inactive",
            ),
            ("$.epcisBody.eventList[1].epcList[0]", f"GTIN {chain.fillet.gtin} is inactive"),
            (
                "$.epcisBody.eventList[1].quantityList[0].epcClass",
                f"GTIN {chain.fillet.gtin} is inactive",
            ),
        ]
    )
    # nothing stored but the failed job; the past event stays
    assert Event.objects.count() == events
    assert CaptureJob.objects.count() == jobs + 1
    assert CaptureJob.objects.latest("pk").status == CaptureJob.Status.FAILED
    assert Lot.objects.filter(lot_code__in=["L2", "F1"]).count() == 0
    # reactivated, the same document is captured
    services.location_update(location=chain.plant, changes={"is_active": True})
    services.product_update(product=chain.fillet, changes={"is_active": True})
    result = services.epcis_document_capture(document=document(new, fillet))
    assert len(result.created) == 2


def test_capture_refuses_deactivated_destinations_and_locations_of_a_deactivated_party(chain):
    lot = chain.lot(chain.whole, "L1")
    services.location_update(location=chain.shop, changes={"is_active": False})
    with pytest.raises(services.CaptureError) as to_shop:
        services.epcis_event_capture(event=single(_ship(chain, lot=lot, minutes=0, to=chain.shop)))
    assert [(e["path"], e["message"]) for e in to_shop.value.errors] == [
        ("$.destinationList[0].destination", f"location GLN {chain.shop.gln} is inactive")
    ]
    services.party_update(party=chain.processor, changes={"is_active": False})
    with pytest.raises(services.CaptureError) as to_party:
        services.epcis_event_capture(
            event=single(_ship(chain, lot=lot, minutes=1, to=chain.processor))
        )
    assert [(e["path"], e["message"]) for e in to_party.value.errors] == [
        ("$.destinationList[0].destination", f"party GLN {chain.processor.gln} is inactive")
    ]
    at_plant = object_event(chain, lot=lot, minutes=2, location=chain.plant)
    with pytest.raises(services.CaptureError) as at_its_plant:
        services.epcis_event_capture(event=single(at_plant))
    assert {e["message"] for e in at_its_plant.value.errors} == {
        f"GLN {chain.plant.gln} belongs to an inactive party"
    }
    assert Event.objects.count() == 0
    # an active party's PGLN as destination links the party to the event
    result = services.epcis_event_capture(
        event=single(_ship(chain, lot=lot, minutes=3, to=chain.retailer))
    )
    assert set(result.created[0].parties.all()) == {chain.vessel_co, chain.retailer}


def test_the_inactive_check_costs_no_query_per_event(chain):
    def capture(count: int, start: int) -> int:
        events = [
            _ship(chain, lot=chain.lot(chain.whole, f"Q{start + i}"), minutes=i, to=chain.shop)
            for i in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.epcis_document_capture(document=document(*events))
        return len(queries)

    assert capture(2, 0) == capture(20, 100)
    assert Event.objects.count() == 22
