"""Capture, cold chain, genealogy and recalls through the services, on the real database."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from busanhub.chain.models import AnchorLeaf
from logistics import selectors, services
from logistics.models import Alert, Breach, CaptureJob, Event, Lot, Reading, Recall
from logistics.tests.factories import (
    Chain,
    document,
    load,
    object_event,
    register_master_data,
    sensor_elements,
    single,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return Chain()


def _journey(chain: Chain) -> dict:
    whole = chain.lot(chain.whole, "DY2611-01")
    fillet = chain.lot(chain.fillet, "GC2611-07")
    catch = object_event(
        chain,
        lot=whole,
        minutes=0,
        location=chain.vessel,
        action="ADD",
        bizStep="commissioning",
        ilmd={
            "cbvmda:catchArea": "61",
            "cbvmda:vesselName": "Daeyang-ho",
            "bfresh:traceNumber": "KR-2611-0001",
        },
    )
    transform = {
        "type": "TransformationEvent",
        "eventTime": chain.at(240),
        "eventTimeZoneOffset": "+09:00",
        "inputQuantityList": [{"epcClass": whole, "quantity": 100, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": fillet, "quantity": 55, "uom": "KGM"}],
        "bizStep": "transforming",
        "readPoint": {"id": chain.sgln(chain.plant)},
        "bizLocation": {"id": chain.sgln(chain.plant)},
    }
    pack = {
        "type": "AggregationEvent",
        "eventTime": chain.at(300),
        "eventTimeZoneOffset": "+09:00",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:8800000.0000000001",
        "childQuantityList": [{"epcClass": fillet, "quantity": 55, "uom": "KGM"}],
        "bizStep": "packing",
        "bizLocation": {"id": chain.sgln(chain.plant)},
    }
    ship = {
        "type": "ObjectEvent",
        "eventTime": chain.at(420),
        "eventTimeZoneOffset": "+09:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sscc:8800000.0000000001"],
        "bizStep": "receiving",
        "bizLocation": {"id": chain.sgln(chain.shop)},
    }
    return {"whole": whole, "fillet": fillet, "events": [catch, transform, pack, ship]}


def test_capture_stores_a_document_whole_anchors_each_event_and_is_idempotent(chain):
    # given a journey document across three partners' locations (so captured by staff: a
    # partner names only its own locations)
    journey = _journey(chain)
    doc = document(*journey["events"])
    # when it is captured twice
    first = services.epcis_document_capture(document=doc)
    second = services.epcis_document_capture(document=doc)
    # then four events are stored once, each with its hash ID and an anchored leaf
    assert len(first.created) == 4
    assert (len(second.created), second.duplicates) == (0, 4)
    assert Event.objects.count() == 4
    assert first.job.status == CaptureJob.Status.SUCCESS
    for event in Event.objects.all():
        assert event.event_id == event.event_hash
        leaf = AnchorLeaf.objects.get(kind="logistics.event", digest=event.anchor_digest)
        assert leaf.envelope["data"]["eventHash"] == event.event_hash
    # and the lots exist with the catch data on the whole-fish lot
    whole = Lot.objects.get(lot_code="DY2611-01")
    assert whole.ilmd["cbvmda:vesselName"] == "Daeyang-ho"
    assert whole.trace_number == "KR-2611-0001"
    assert whole.is_consumed is True
    # and the parties of each event are recorded
    catch = Event.objects.get(biz_step="commissioning")
    assert set(catch.parties.all()) == {chain.vessel_co}


def test_capture_refuses_a_document_with_unknown_gln_future_time_and_keeps_nothing(chain):
    # given a document whose second event names an unknown GLN and a time in the future
    journey = _journey(chain)
    bad = dict(journey["events"][1])
    bad["readPoint"] = {"id": "urn:epc:id:sgln:9999999.00001.0"}
    bad["eventTime"] = (timezone.now() + timedelta(days=1)).isoformat()
    # when it is captured
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=document(journey["events"][0], bad))
    # then the errors name the JSON paths and nothing was stored
    paths = {error["path"] for error in refused.value.errors}
    assert paths == {"$.epcisBody.eventList[1].eventTime", "$.epcisBody.eventList[1].readPoint.id"}
    assert refused.value.status == 422
    assert Event.objects.count() == 0
    assert Lot.objects.count() == 0
    assert AnchorLeaf.objects.filter(kind="logistics.event").count() == 0
    assert CaptureJob.objects.get().status == CaptureJob.Status.FAILED


def test_capture_refuses_unknown_gtin_and_a_lot_consumed_twice(chain):
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"][:2]))
    # given a second transformation of the same whole-fish lot, and an unknown GTIN
    again = {**journey["events"][1], "eventTime": chain.at(600)}
    unknown = object_event(
        chain, lot="urn:epc:class:lgtin:9999999.099999.X", minutes=5, location=chain.plant
    )
    # when each is captured
    with pytest.raises(services.CaptureError) as consumed:
        services.epcis_document_capture(document=document(again))
    with pytest.raises(services.CaptureError) as gtin:
        services.epcis_event_capture(event=single(unknown))
    # then both are refused with the path and a reason; nothing more is stored
    assert consumed.value.errors[0]["path"] == "$.epcisBody.eventList[0].inputQuantityList[0]"
    assert "already consumed" in consumed.value.errors[0]["message"]
    assert gtin.value.errors == [
        {"path": "$.quantityList[0].epcClass", "message": "unknown GTIN 09999999999994"}
    ]
    assert Event.objects.count() == 2


def test_schema_errors_name_the_json_path(chain):
    doc = load("Example_9.6.1-ObjectEvent.jsonld")
    doc["epcisBody"]["eventList"][1]["action"] = "SHOUT"
    with pytest.raises(services.CaptureError) as refused:
        services.epcis_document_capture(document=doc)
    assert refused.value.status == 400
    assert "$.epcisBody.eventList[1].action" in {e["path"] for e in refused.value.errors}
    assert Event.objects.count() == 0


def test_error_declaration_is_recorded_on_the_stored_event_and_anchored_again(chain):
    journey = _journey(chain)
    services.epcis_document_capture(document=document(journey["events"][0]))
    declared = {
        **journey["events"][0],
        "errorDeclaration": {"declarationTime": chain.at(30), "reason": "incorrect_data"},
    }
    result = services.epcis_document_capture(document=document(declared))
    event = Event.objects.get()
    assert result.duplicates == 1
    assert event.data["errorDeclaration"]["reason"] == "incorrect_data"
    leaf = AnchorLeaf.objects.get(digest=event.anchor_digest)
    assert (leaf.version, leaf.envelope["data"]["errorDeclared"]) == (2, True)


def test_genealogy_traces_forward_to_the_pallet_and_back_to_the_catch(chain):
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"]))
    forward = selectors.trace(journey["whole"], forward=True)
    back = selectors.trace("urn:epc:id:sscc:8800000.0000000001", forward=False)
    fillet_dl = "https://id.gs1.org/01/" + chain.fillet.gtin + "/10/GC2611-07"
    whole_dl = "https://id.gs1.org/01/" + chain.whole.gtin + "/10/DY2611-01"
    sscc = "https://id.gs1.org/00/088000000000000015"
    assert forward == [(fillet_dl, 1), (sscc, 2)]
    assert back == [(fillet_dl, 1), (whole_dl, 2)]
    party, location = selectors.lot_holder(Lot.objects.get(lot_code="GC2611-07"))
    assert (party, location) == (chain.retailer, chain.shop)


def test_a_trace_follows_a_packing_but_not_an_unpacking_into_another_box(chain):
    # given the journey, and the fillets also taken out of a second box (an aggregation
    # that deletes: they were never in it as far as the trace is concerned)
    journey = _journey(chain)
    unpack = {
        **journey["events"][2],
        "eventTime": chain.at(310),
        "action": "DELETE",
        "parentID": "urn:epc:id:sscc:8800000.0000000002",
    }
    services.epcis_document_capture(document=document(*journey["events"], unpack))
    # when the fillets are traced forward and the second box back
    forward = selectors.trace(journey["fillet"], forward=True)
    back = selectors.trace("urn:epc:id:sscc:8800000.0000000002", forward=False)
    # then only the box they were packed into is downstream, and nothing is in the other
    assert forward == [("https://id.gs1.org/00/088000000000000015", 1)]
    assert back == []


def test_sensor_readings_on_a_box_breach_the_lots_inside_and_alert(chain):
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"][:3]))
    # given a reading event on the box with 40 minutes above 4 °C
    temps = [(310, 2.0), (320, 6.5), (330, 7.0), (340, 6.0), (350, 5.0), (360, 3.0)]
    report = {
        "type": "ObjectEvent",
        "eventTime": chain.at(361),
        "eventTimeZoneOffset": "+09:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sscc:8800000.0000000001"],
        "bizStep": "sensor_reporting",
        "bizLocation": {"id": chain.sgln(chain.plant)},
        "sensorElementList": sensor_elements(chain, temps),
    }
    services.epcis_event_capture(event=single(report), party=chain.processor)
    fillet = Lot.objects.get(lot_code="GC2611-07")
    assert Reading.objects.filter(lot=fillet).count() == 6
    breach = Breach.objects.get(lot=fillet)
    assert (breach.minutes_out_of_range, breach.reason) == (40, "cumulative")
    assert fillet.status == Lot.Status.COMPROMISED
    assert AnchorLeaf.objects.filter(kind="logistics.breach", digest=breach.anchor_digest).exists()
    assert Alert.objects.filter(lot=fillet, party=None).count() == 1
    assert Alert.objects.filter(lot=fillet, party=chain.processor).count() == 1
    # and the same report again changes nothing
    services.epcis_event_capture(event=single(report), party=chain.processor)
    assert Breach.objects.count() == 1


def test_logger_readings_need_a_known_device_and_store_nothing_otherwise(chain):
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"][:3]))
    with pytest.raises(ValidationError) as refused:
        services.readings_ingest(
            device_id="urn:epc:id:giai:8800000.77",
            readings=[{"time": chain.at(1), "celsius": 3}],
            party=None,
        )
    assert "device_id" in refused.value.message_dict
    services.device_register(
        party=chain.processor,
        device_id="logger-1",
        attached_to="urn:epc:id:sscc:8800000.0000000001",
    )
    result = services.readings_ingest(
        device_id="logger-1",
        readings=[{"time": chain.at(310 + i), "celsius": 15 if i == 1 else 2} for i in range(3)],
        party=chain.processor,
    )
    assert result == {"stored": 3, "lots": 1, "breaches": 1}
    assert Breach.objects.get().reason == "hard_limit"
    with pytest.raises(ValidationError) as malformed:
        services.readings_ingest(
            device_id="logger-1", readings=[{"time": "soon", "celsius": 2}], party=chain.processor
        )
    assert list(malformed.value.message_dict) == ["readings[0]"]
    assert Reading.objects.count() == 3


def test_recall_reaches_every_downstream_lot_notifies_holders_and_exports_kdes(chain):
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"]))
    whole = Lot.objects.get(lot_code="DY2611-01")
    recall = services.recall_create(lots=[whole], reason="Histamine above limit")
    assert set(recall.affected_lots.values_list("lot_code", flat=True)) == {
        "DY2611-01",
        "GC2611-07",
    }
    assert set(Lot.objects.values_list("status", flat=True)) == {Lot.Status.RECALLED}
    assert services.recall_notify(recall=recall) == 2
    assert services.recall_notify(recall=recall) == 0
    recall.refresh_from_db()
    assert recall.status == Recall.Status.NOTIFIED
    assert (
        AnchorLeaf.objects.filter(kind="logistics.recall", ref=str(recall.public_id)).count() == 2
    )
    rows = list(csv.reader(io.StringIO(services.recall_export_csv(recall).decode())))
    assert rows[0][0] == "Traceability Lot Code"
    ctes = [(row[0], row[5]) for row in rows[1:]]
    assert ctes == [
        ("DY2611-01", "commissioning"),
        ("DY2611-01", "transforming"),
        ("GC2611-07", "transforming"),
        ("GC2611-07", "packing"),
    ]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(services.recall_export_xlsx(recall))).active
    assert [cell.value for cell in sheet[2]][:2] == ["DY2611-01", chain.whole.gtin]
    assert sheet.max_row == 5


def test_conformance_examples_register_and_capture(chain):
    doc = load("Example_9.6.4-TransformationEvent.jsonld")
    register_master_data(doc)
    result = services.epcis_document_capture(document=doc)
    assert len(result.created) == 1


def test_a_breach_compromises_the_lots_sharing_the_box(chain):
    # given two lots packed in the same box, and a logger on one of them only
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"][:3]))
    other = chain.lot(chain.fillet, "GC2611-08")
    services.epcis_document_capture(
        document=document(
            object_event(chain, lot=other, minutes=250, location=chain.plant),
            {
                "type": "AggregationEvent",
                "eventTime": chain.at(301),
                "eventTimeZoneOffset": "+09:00",
                "action": "ADD",
                "parentID": "urn:epc:id:sscc:8800000.0000000001",
                "childQuantityList": [{"epcClass": other, "quantity": 5, "uom": "KGM"}],
                "bizStep": "packing",
                "bizLocation": {"id": chain.sgln(chain.plant)},
            },
        )
    )
    services.device_register(
        party=chain.processor, device_id="logger-2", attached_to=journey["fillet"]
    )
    # when that lot's logger reports a reading beyond the hard limit
    services.readings_ingest(
        device_id="logger-2",
        readings=[{"time": chain.at(320), "celsius": 2}, {"time": chain.at(330), "celsius": 12}],
        party=chain.processor,
    )
    # then both lots in the box are compromised; the whole fish (consumed before) is not
    statuses = dict(Lot.objects.values_list("lot_code", "status"))
    assert statuses == {
        "DY2611-01": Lot.Status.ACTIVE,
        "GC2611-07": Lot.Status.COMPROMISED,
        "GC2611-08": Lot.Status.COMPROMISED,
    }


def test_a_breach_mails_staff_and_the_holder_once_each_in_their_language(
    chain, mailoutbox, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from busanhub.accounts.tests.factories import UserFactory

    # given a logistics staff member reading Korean, and the holder's member reading English
    staff = UserFactory(email="staff@example.kr", preferred_language="ko")
    staff.groups.add(Group.objects.get_or_create(name="staff-logistics")[0])
    member = UserFactory(email="plant@example.kr", preferred_language="en")
    chain.processor.members.add(member)
    journey = _journey(chain)
    services.epcis_document_capture(document=document(*journey["events"][:3]))
    services.device_register(
        party=chain.processor, device_id="logger-3", attached_to=journey["fillet"]
    )
    readings = [{"time": chain.at(320), "celsius": 2}, {"time": chain.at(330), "celsius": 12}]
    # when the logger reports a reading beyond the hard limit
    with django_capture_on_commit_callbacks(execute=True):
        services.readings_ingest(device_id="logger-3", readings=readings, party=chain.processor)
    # then one mail each: staff in Korean with the admin link, the holder in English without
    mails = {mail.to[0]: mail for mail in mailoutbox}
    assert sorted(mails) == ["plant@example.kr", "staff@example.kr"]
    fillet = Lot.objects.get(lot_code="GC2611-07")
    lot_path = f"/01/{fillet.product.gtin}/10/{fillet.lot_code}"
    assert mails["plant@example.kr"].subject.startswith("Cold chain breached")
    assert lot_path in mails["plant@example.kr"].body
    assert "/admin/" not in mails["plant@example.kr"].body
    assert "콜드체인" in mails["staff@example.kr"].subject
    assert f"/admin/logistics/lot/{fillet.pk}/change/" in mails["staff@example.kr"].body
    # when the same readings arrive again, nobody is mailed again
    with django_capture_on_commit_callbacks(execute=True):
        services.readings_ingest(device_id="logger-3", readings=readings, party=chain.processor)
    assert len(mailoutbox) == 2
    assert Breach.objects.count() == 1
