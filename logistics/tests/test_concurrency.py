"""Concurrent captures with real threads (PostgreSQL row locks)."""

import functools
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from busanhub.testing import lock_waits_watch
from logistics import services
from logistics.models import Event, Lot
from logistics.tests.factories import Chain, document, object_event

pytestmark = pytest.mark.django_db(transaction=True)


def _run_together(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(position, call):
        try:
            barrier.wait()
            outcomes[position] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[position] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_the_same_document_captured_twice_at_once_is_stored_once():
    chain = Chain()
    events = [
        object_event(chain, lot=chain.lot(chain.whole, f"C{i}"), minutes=i, location=chain.plant)
        for i in range(20)
    ]
    doc = document(*events)
    outcomes = _run_together(
        lambda: services.epcis_document_capture(document=doc, party=chain.processor),
        lambda: services.epcis_document_capture(document=doc, party=chain.processor),
    )
    assert all(isinstance(o, services.CaptureResult) for o in outcomes), outcomes
    assert sorted(len(o.created) for o in outcomes) == [0, 20]
    assert Event.objects.count() == 20
    assert Lot.objects.count() == 20


def test_two_transformations_of_one_lot_at_once_consume_it_once():
    chain = Chain()
    whole = chain.lot(chain.whole, "W1")
    services.epcis_document_capture(
        document=document(object_event(chain, lot=whole, minutes=0, location=chain.plant))
    )

    def transform(code: str, minutes: int):
        event = {
            "type": "TransformationEvent",
            "eventTime": chain.at(minutes),
            "eventTimeZoneOffset": "+09:00",
            "inputQuantityList": [{"epcClass": whole, "quantity": 10, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": chain.lot(chain.fillet, code), "quantity": 5}],
            "bizStep": "transforming",
            "readPoint": {"id": chain.sgln(chain.plant)},
        }
        return lambda: services.epcis_document_capture(document=document(event))

    outcomes = _run_together(transform("F1", 60), transform("F2", 61))
    refused = [o for o in outcomes if isinstance(o, services.CaptureError)]
    accepted = [o for o in outcomes if isinstance(o, services.CaptureResult)]
    assert (len(accepted), len(refused)) == (1, 1), outcomes
    assert "already consumed" in refused[0].errors[0]["message"]
    assert Event.objects.filter(event_type="TransformationEvent").count() == 1
    assert Lot.objects.filter(product=chain.fillet).count() == 1


def test_one_lot_code_registered_twice_at_once_gives_one_lot_and_a_field_error():
    chain = Chain()
    outcomes = _run_together(
        lambda: services.lot_create(product=chain.whole, lot_code="RACE-1"),
        lambda: services.lot_create(product=chain.whole, lot_code="RACE-1"),
    )
    created = [o for o in outcomes if isinstance(o, Lot)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(created), len(refused)) == (1, 1), outcomes
    assert list(refused[0].message_dict) == ["lot_code"]
    assert Lot.objects.filter(product=chain.whole).count() == 1


def test_overlapping_documents_captured_at_once_all_succeed_each_event_once():
    # Partners sending the same observations at once (no eventID: named by their hash), each
    # document sharing events with the next: every capture succeeds, each event is stored once.
    chain = Chain()
    lots = [chain.lot(chain.whole, f"O{i}") for i in range(8)]
    services.epcis_document_capture(
        document=document(
            *(
                object_event(chain, lot=lot, minutes=i, location=chain.plant)
                for i, lot in enumerate(lots)
            )
        )
    )
    seen = [
        object_event(chain, lot=lots[i % 8], minutes=100 + i, location=chain.plant)
        for i in range(12)
    ]
    documents = [document(*(seen[(start + k) % 12] for k in range(6))) for start in range(0, 12, 2)]
    outcomes = _run_together(
        *(lambda doc=doc: services.epcis_document_capture(document=doc) for doc in documents)
    )
    assert all(isinstance(o, services.CaptureResult) for o in outcomes), outcomes
    assert sum(len(o.created) for o in outcomes) == 12
    assert Event.objects.filter(event_time__gte=chain.t0 + timedelta(minutes=100)).count() == 12


def test_a_capture_waits_for_a_concurrent_capture_of_the_same_event_before_looking_it_up():
    # The second capture of one event waits on the first's claim (an advisory lock), not on
    # the unique index, so it finds the event stored instead of failing and running again.
    chain = Chain()
    lot = chain.lot(chain.whole, "CLAIM")
    services.epcis_document_capture(
        document=document(object_event(chain, lot=lot, minutes=0, location=chain.plant))
    )
    doc = document(object_event(chain, lot=lot, minutes=5, location=chain.plant))
    claimed, release = threading.Event(), threading.Event()
    waits: list[tuple] = []

    def first():
        with transaction.atomic():
            services.epcis_document_capture(document=doc)
            claimed.set()
            release.wait(30)

    def second():
        claimed.wait(30)
        return services.epcis_document_capture(document=doc)

    watch = functools.partial(lock_waits_watch, claimed, release, waits)
    outcomes = _run_together(first, second, watch)
    assert waits and waits[0] == ("Lock", "advisory"), waits
    assert isinstance(outcomes[1], services.CaptureResult), outcomes
    assert (len(outcomes[1].created), outcomes[1].duplicates) == (0, 1)
