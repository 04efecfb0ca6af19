"""Capture's lookup of the stored events a document names (`sql/capture_stored.sql`): it finds
them by event hash and by eventID, and its generic plan probes the unique indexes even when the
connection made it on an empty table (a plan kept for the connection's life)."""

import pytest
from django.db import connection, transaction

from busanhub.db import array_literal
from logistics import services
from logistics.models import Event
from logistics.services.checks import CAPTURE_STORED
from logistics.tests.factories import Chain, document, object_event

pytestmark = pytest.mark.django_db


def _stored(hashes: list[str], event_ids: list[str]) -> set[int]:
    with connection.cursor() as cursor:
        return {pk for (pk,) in CAPTURE_STORED.execute(cursor, hashes=hashes, event_ids=event_ids)}


def test_the_lookup_finds_stored_events_by_hash_and_by_event_id():
    # given two stored events, one under its own eventID
    chain = Chain()
    lot = chain.lot(chain.whole, "LK-01")
    first = object_event(chain, lot=lot, minutes=0, location=chain.vessel)
    second = object_event(chain, lot=lot, minutes=5, location=chain.vessel, eventID="urn:uuid:1")
    services.epcis_document_capture(document=document(first, second))
    one, two = Event.objects.order_by("event_time")
    # when each is looked up by one key only, and a name nothing stores with them
    # then each is found once, and nothing else
    assert _stored([one.event_hash, "ni:///sha-256;0?ver=CBV2.0"], []) == {one.pk}
    assert _stored([], ["urn:uuid:1", "urn:uuid:2"]) == {two.pk}
    assert _stored([two.event_hash], [two.event_id]) == {two.pk}
    assert _stored([], []) == set()


def test_the_generic_plan_made_on_an_empty_table_probes_the_unique_indexes():
    # given no stored event (the plan is made now, on the empty table, and kept)
    assert not Event.objects.exists()
    names = array_literal(f"ni:///sha-256;{n:064x}?ver=CBV2.0" for n in range(100))
    with transaction.atomic(), connection.cursor() as cursor:
        CAPTURE_STORED.prepare(cursor)
        cursor.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
        # when its plan is shown
        cursor.execute(f"EXPLAIN EXECUTE {CAPTURE_STORED.name} (%s, %s)", [names, names])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then each name is an index probe: no scan of the whole table
    assert "Seq Scan on logistics_event" not in plan
    assert "logistics_event_event_hash_key" in plan
    assert "logistics_event_event_id_key" in plan
