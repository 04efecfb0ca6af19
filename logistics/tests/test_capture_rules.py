"""Capture rules of issue 16: consumption by quantity, error declarations that release what
they consumed, eventIDs never dropped, and which identifiers must be known."""

import json
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from busanhub.accounts.models import User
from logistics import services
from logistics.epcis import hashing
from logistics.models import CaptureJob, Event, Lot, Party
from logistics.tests.factories import Chain, PartyFactory, document, object_event, single

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return Chain()


def _catch(chain: Chain, lot: str, kilograms: int = 100) -> dict:
    """The commissioning of a lot: its starting quantity."""
    return {
        **object_event(chain, lot=lot, minutes=0, location=chain.vessel),
        "action": "ADD",
        "bizStep": "commissioning",
        "quantityList": [{"epcClass": lot, "quantity": kilograms, "uom": "KGM"}],
    }


def _transform(chain: Chain, lot: str, kilograms, output: str, minutes: int, **extra) -> dict:
    taken = {"epcClass": lot, "uom": "KGM"}
    if kilograms is not None:
        taken["quantity"] = kilograms
    return {
        "type": "TransformationEvent",
        "eventTime": chain.at(minutes),
        "eventTimeZoneOffset": "+09:00",
        "inputQuantityList": [taken],
        "outputQuantityList": [{"epcClass": output, "quantity": 5, "uom": "KGM"}],
        "bizStep": "transforming",
        "readPoint": {"id": chain.sgln(chain.plant)},
        **extra,
    }


def _lot(lot_code: str) -> Lot:
    return Lot.objects.get(lot_code=lot_code)


def test_a_transformation_takes_part_of_a_lot_and_may_not_take_more_than_is_left(chain):
    # given a lot commissioned with 100 KGM
    whole = chain.lot(chain.whole, "W100")
    services.epcis_document_capture(document=document(_catch(chain, whole)))
    # when a transformation takes 10 KGM
    services.epcis_document_capture(
        document=document(_transform(chain, whole, 10, chain.lot(chain.fillet, "F1"), 60))
    )
    # then the lot is not consumed: 90 KGM are left
    assert _lot("W100").is_consumed is False
    # when another takes 95 KGM
    too_much = _transform(chain, whole, 95, chain.lot(chain.fillet, "F2"), 70)
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=document(_catch(chain, whole), too_much))
    # then it is refused with the document's own path, and nothing changed
    assert refused.value.status == 422
    whole_dl = f"https://id.gs1.org/01/{chain.whole.gtin}/10/W100"
    assert refused.value.errors == [
        {
            "path": "$.epcisBody.eventList[1].inputQuantityList[0]",
            "message": f"{whole_dl}: 95 KGM asked, 90 KGM left",
        }
    ]
    assert Event.objects.count() == 2
    assert _lot("W100").is_consumed is False
    # and a quantity in another unit than the lot's cannot be checked: refused
    in_grams = _transform(chain, whole, 10, chain.lot(chain.fillet, "F3"), 75)
    in_grams["inputQuantityList"][0]["uom"] = "GRM"
    with pytest.raises(services.CaptureError) as other_unit:
        services.epcis_event_capture(event=single(in_grams))
    assert other_unit.value.errors[0]["path"] == "$.inputQuantityList[0]"
    # when the last 90 KGM are taken, then the lot is consumed
    services.epcis_document_capture(
        document=document(_transform(chain, whole, 90, chain.lot(chain.fillet, "F4"), 80))
    )
    assert _lot("W100").is_consumed is True


def test_quantities_produced_in_the_same_document_count_and_unknown_lots_go_whole(chain):
    # given a document that commissions 20 KGM and transforms 25 KGM of it
    whole = chain.lot(chain.whole, "W20")
    doc = document(
        _catch(chain, whole, kilograms=20),
        _transform(chain, whole, 25, chain.lot(chain.fillet, "G1"), 60),
    )
    # when it is captured, then the transformation is refused
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=doc)
    assert refused.value.errors[0]["path"] == "$.epcisBody.eventList[1].inputQuantityList[0]"
    assert Event.objects.count() == 0
    # given a lot no event gives a quantity (only observed), taken 10 KGM
    unknown = chain.lot(chain.whole, "U1")
    services.epcis_document_capture(
        document=document(
            object_event(chain, lot=unknown, minutes=0, location=chain.plant),
            _transform(chain, unknown, 10, chain.lot(chain.fillet, "G2"), 60),
        )
    )
    # then the first transformation consumed it whole, and a second is refused
    assert _lot("U1").is_consumed is True
    with pytest.raises(services.CaptureError) as again:
        services.epcis_event_capture(
            event=single(_transform(chain, unknown, 1, chain.lot(chain.fillet, "G3"), 70))
        )
    assert again.value.errors[0]["path"] == "$.inputQuantityList[0]"
    assert "already consumed" in again.value.errors[0]["message"]


def test_an_error_declaration_releases_what_the_event_consumed_for_its_corrective_event(chain):
    # given a lot of 100 KGM consumed whole by a transformation
    whole = chain.lot(chain.whole, "E100")
    erroneous = _transform(chain, whole, 100, chain.lot(chain.fillet, "WRONG"), 60)
    services.epcis_document_capture(document=document(_catch(chain, whole), erroneous))
    assert _lot("E100").is_consumed is True
    # when a document declares it erroneous, with its corrective event taking the same lot
    corrective = _transform(
        chain, whole, 100, chain.lot(chain.fillet, "RIGHT"), 61, eventID="urn:uuid:corrective-1"
    )
    declared = {
        **erroneous,
        "errorDeclaration": {
            "declarationTime": chain.at(90),
            "reason": "incorrect_data",
            "correctiveEventIDs": ["urn:uuid:corrective-1"],
        },
    }
    result = services.epcis_document_capture(document=document(declared, corrective))
    # then it is accepted: the declaration is recorded and the corrective event stored
    assert (len(result.created), result.duplicates) == (1, 1)
    stored = Event.objects.get(event_hash=result.created[0].event_hash)
    assert stored.event_id == "urn:uuid:corrective-1"
    first = Event.objects.exclude(pk=stored.pk).get(event_type="TransformationEvent")
    assert first.data["errorDeclaration"]["reason"] == "incorrect_data"
    # and the lot is consumed by the corrective event alone: a third transformation is refused
    assert _lot("E100").is_consumed is True
    third = _transform(chain, whole, 1, chain.lot(chain.fillet, "MORE"), 62)
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=document(third))
    assert refused.value.errors[0]["path"] == "$.epcisBody.eventList[0].inputQuantityList[0]"


def test_an_error_declaration_alone_releases_the_lot_and_objects_consumed_once(chain):
    # given a transformation consuming a lot and an object (inputEPCList)
    whole = chain.lot(chain.whole, "R50")
    box = (
        f"urn:epc:id:sgtin:{chain.whole.gtin[1:8]}.{chain.whole.gtin[0]}{chain.whole.gtin[8:13]}.7"
    )
    consumed = {
        **_transform(chain, whole, 50, chain.lot(chain.fillet, "R1"), 60),
        "inputEPCList": [box],
    }
    services.epcis_document_capture(document=document(_catch(chain, whole, kilograms=50), consumed))
    # when the object is taken again, then it is refused with its own path
    again = {**_transform(chain, whole, None, chain.lot(chain.fillet, "R2"), 70)}
    again["inputQuantityList"] = []
    again["inputEPCList"] = [box]
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=document(again))
    assert refused.value.errors[0]["path"] == "$.epcisBody.eventList[0].inputEPCList[0]"
    # when the first transformation is declared erroneous
    declared = {
        **consumed,
        "errorDeclaration": {"declarationTime": chain.at(90), "reason": "did_not_occur"},
    }
    services.epcis_document_capture(document=document(declared))
    # then the lot is free again, and the object can be taken
    assert _lot("R50").is_consumed is False
    result = services.epcis_document_capture(document=document(again))
    assert len(result.created) == 1


def _partner(party):
    _key, raw = services.partner_key_create(party=party, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_known_event_under_another_event_id_is_refused_with_409_naming_both(chain):
    # given an event stored under the eventID its sender gave
    client = _partner(chain.processor)
    event = object_event(chain, lot=chain.lot(chain.whole, "ID1"), minutes=5, location=chain.plant)
    first = client.post(
        "/epcis/events", single({**event, "eventID": "urn:uuid:first"}), format="json"
    )
    assert first.status_code == 202, first.content
    # when the same content comes under another eventID
    second = client.post(
        "/epcis/events", single({**event, "eventID": "urn:uuid:second"}), format="json"
    )
    # then 409 names both IDs, and nothing more is stored
    assert second.status_code == 409, second.content
    assert second.json()["errors"] == [
        {
            "path": "$.eventID",
            "message": "this event is already stored as urn:uuid:first; "
            "eventID urn:uuid:second is refused",
        }
    ]
    assert Event.objects.count() == 1
    assert CaptureJob.objects.filter(status=CaptureJob.Status.FAILED).count() == 1
    # and the same event under its own eventID, or with none, is still a duplicate (202)
    for again in ({**event, "eventID": "urn:uuid:first"}, event):
        response = client.post("/epcis/events", single(again), format="json")
        assert (response.status_code, response.json()["eventCount"]) == (202, 0)
    # and an eventID that already names another event is refused too
    other = {**event, "eventTime": chain.at(6), "eventID": "urn:uuid:first"}
    clash = client.post("/epcis/capture", document(other), format="json")
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["path"] == "$.epcisBody.eventList[0].eventID"
    assert client.get("/epcis/events/" + quote("urn:uuid:first", safe="")).status_code == 200


def test_sscc_giai_grai_need_a_registered_company_prefix_and_pgln_a_registered_party(chain):
    # given events naming keys of a prefix no party holds, and an unknown party GLN
    pallet = {
        "type": "ObjectEvent",
        "eventTime": chain.at(10),
        "eventTimeZoneOffset": "+09:00",
        "action": "OBSERVE",
        "epcList": [
            "urn:epc:id:sscc:9912345.0000000001",
            "urn:epc:id:giai:9912345.TRUCK1",
            "urn:epc:id:grai:9912345.00001.77",
            "urn:epc:id:sscc:8800000.0000000002",
        ],
        "bizStep": "receiving",
        "readPoint": {"id": chain.sgln(chain.plant)},
        "sourceList": [
            {"type": "owning_party", "source": "urn:epc:id:pgln:9912345.00000"},
            {"type": "owning_party", "source": f"https://id.gs1.org/417/{chain.processor.gln}"},
        ],
    }
    # when it is captured
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_event_capture(event=single(pallet))
    # then each unknown key is refused with its path; the processor's SSCC and PGLN pass
    assert {error["path"]: error["message"] for error in refused.value.errors} == {
        "$.epcList[0]": "SSCC 099123450000000014: no registered party has its company prefix",
        "$.epcList[1]": "GIAI 9912345TRUCK1: no registered party has its company prefix",
        "$.epcList[2]": "GRAI 0991234500001477: no registered party has its company prefix",
        "$.sourceList[0].source": "unknown party GLN 9912345000007",
    }
    assert Event.objects.count() == 0
    # when a party registers the prefix and the GLN, then the same event is accepted
    PartyFactory(gln="9912345000007", company_prefix="9912345")
    assert len(services.epcis_event_capture(event=single(pallet)).created) == 1
    # and a deactivated party's keys are refused again
    Party.objects.filter(company_prefix="9912345").update(is_active=False)
    later = {**pallet, "eventTime": chain.at(20), "sourceList": []}
    with pytest.raises(services.CaptureError) as inactive:
        services.epcis_event_capture(event=single(later))
    assert inactive.value.errors[0] == {
        "path": "$.epcList[0]",
        "message": "SSCC 099123450000000014: its company prefix's party is inactive",
    }


def test_an_event_with_bare_sensor_vocabulary_is_found_by_its_standard_hash_id(chain):
    # given an event whose sensor report has a bare component and exception, with no eventID
    client = _partner(chain.processor)
    box = "urn:epc:id:sscc:8800000.0000000009"
    report = {"type": "Temperature", "value": 9.5, "uom": "CEL", "exception": "ALARM_CONDITION"}
    event = {
        "type": "ObjectEvent",
        "eventTime": chain.at(30),
        "eventTimeZoneOffset": "+09:00",
        "action": "OBSERVE",
        "epcList": [box],
        "bizStep": "sensor_reporting",
        "readPoint": {"id": chain.sgln(chain.plant)},
        "sensorElementList": [
            {
                "sensorMetadata": {"time": chain.at(29)},
                "sensorReport": [
                    report,
                    {"type": "Length", "value": 35.1, "component": "latitude"},
                ],
            }
        ],
    }
    assert client.post("/epcis/events", single(event), format="json").status_code == 202
    # when it is queried by the hash ID of the same event written with full vocabulary IRIs
    full = json.loads(
        json.dumps(event)
        .replace('"ALARM_CONDITION"', '"https://gs1.org/voc/ALARM_CONDITION"')
        .replace('"latitude"', '"https://ref.gs1.org/cbv/Comp-latitude"')
    )
    standard_id = hashing.event_hash_id(full)
    found = client.get("/epcis/events", {"EQ_eventID": standard_id})
    # then it is found, and read by that ID
    assert found.status_code == 200
    assert len(found.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    assert client.get("/epcis/events/" + quote(standard_id, safe="")).status_code == 200


def test_a_party_registers_its_company_prefix_over_the_api(chain):
    # given logistics staff
    user = User.objects.create_user(email="staff@example.org", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name="staff-logistics")[0])
    staff = APIClient()
    staff.force_authenticate(user)
    url = f"/api/v1/logistics/parties/{chain.vessel_co.public_id}"
    # when a prefix that is no 6-12 digits, or another party's, is given
    bad = staff.patch(url, {"company_prefix": "88A"}, "json")
    taken = staff.patch(url, {"company_prefix": "8800000"}, "json")
    # then both are refused and nothing changes
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {
        "company_prefix"
    }
    assert taken.status_code == 400, taken.content
    assert Party.objects.get(pk=chain.vessel_co.pk).company_prefix == ""
    # when its own prefix is given, then its SSCCs may be captured
    assert staff.patch(url, {"company_prefix": "8809999"}, "json").status_code == 200
    assert staff.get(url).json()["company_prefix"] == "8809999"
    observed = object_event(
        chain, lot=chain.lot(chain.whole, "P1"), minutes=3, location=chain.plant
    )
    observed["epcList"] = ["urn:epc:id:sscc:8809999.0000000001"]
    assert len(services.epcis_event_capture(event=single(observed)).created) == 1


def test_a_capture_locks_and_reads_its_master_data_in_one_statement(chain):
    # given a lot commissioned at the vessel, which a transformation at the plant then takes,
    # captured by the processor (its own party locked and checked too)
    whole = chain.lot(chain.whole, "W-ONE")
    services.epcis_document_capture(document=document(_catch(chain, whole)))
    doc = document(_transform(chain, whole, 10, chain.lot(chain.fillet, "F-ONE"), 60))
    # when it is captured
    with CaptureQueriesContext(connection) as queries:
        services.epcis_document_capture(document=doc, party=chain.processor)
    # then the parties, locations and products are read once, by the locking statement, and
    # nothing else of the capture reads them again
    locking = [q["sql"] for q in queries if "logistics_capture_lock" in q["sql"]]
    assert len([sql for sql in locking if sql.startswith("EXECUTE")]) == 1, locking
    tables = ("logistics_party", "logistics_location", "logistics_product")
    again = [
        q["sql"]
        for q in queries
        if "logistics_capture_lock" not in q["sql"]
        and any(f'"{table}"' in q["sql"] for table in tables)
        and not q["sql"].startswith("INSERT")
    ]
    assert again == []
    assert _lot("W-ONE").is_consumed is False
