"""A capture racing a deactivation, with real threads on PostgreSQL (issue 14 item 15).

Each test holds one transaction open in a thread at a known point, starts the other side, waits
until that side has either finished or is waiting on a row lock (pg_stat_activity), then lets
the first commit. So the interleaving is forced, not hoped for, and the outcome is exact:
a deactivation that commits first refuses the capture; one that comes second waits for it.
(Plain threads rather than `busanhub.testing.run_threads`: the two sides must run in a set order,
not be released together.)
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from logistics import services
from logistics.models import CaptureJob, Event, Location, Party
from logistics.tests.factories import Chain, document, object_event

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 20  # seconds; far beyond what either side needs


class Side(threading.Thread):
    """Runs `work` in its own connection. With `hold`, inside a transaction that commits only
    once `release` is set (`held` says `work` is done); without, as the service runs it."""

    def __init__(self, work, *, hold: bool):
        super().__init__()
        self.work, self.hold = work, hold
        self.held, self.release = threading.Event(), threading.Event()
        self.outcome = None
        self.pid = None

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            if not self.hold:
                self.outcome = self.work()
                return
            with transaction.atomic():
                self.outcome = self.work()
                self.held.set()
                self.release.wait(WAIT)
        except Exception as exc:  # noqa: BLE001 (the test inspects what the side got)
            self.outcome = exc
        finally:
            self.held.set()
            connections.close_all()


def _waits_on_a_lock(side: Side) -> bool:
    """Polls until `side` finished (False) or is blocked on a row lock (True)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if not side.is_alive():
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [side.pid]
            )
            row = cursor.fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.02)
    raise AssertionError("the side neither finished nor waited on a lock")


def _capture_at(chain: Chain, location, party: Party, code: str):
    doc = document(
        object_event(chain, lot=chain.lot(chain.whole, code), minutes=0, location=location)
    )
    return lambda: services.epcis_document_capture(document=doc, party=party)


def _race(first: Side, second: Side) -> bool:
    """Runs `first` up to its hold, then `second` until it finishes or waits; then lets
    `first` commit. Returns whether `second` had to wait."""
    first.start()
    assert first.held.wait(WAIT)
    second.start()
    while second.pid is None and second.is_alive():
        time.sleep(0.01)
    waited = _waits_on_a_lock(second)
    first.release.set()
    first.join(WAIT)
    second.join(WAIT)
    return waited


@pytest.mark.parametrize("row", ["location", "party"])
def test_a_deactivation_committed_while_a_capture_waits_refuses_the_capture(row):
    # given the processor's plant, and a deactivation of the plant (or of the processor itself)
    # holding its row lock, not yet committed
    chain = Chain()
    if row == "location":
        deactivate = Side(
            lambda: services.location_update(location=chain.plant, changes={"is_active": False}),
            hold=True,
        )
    else:
        deactivate = Side(
            lambda: services.party_update(party=chain.processor, changes={"is_active": False}),
            hold=True,
        )
    capture = Side(_capture_at(chain, chain.plant, chain.processor, "RACE-1"), hold=False)
    # when the processor captures an event at the plant meanwhile
    waited = _race(deactivate, capture)
    # then the capture waited for the deactivation, was refused, and stored nothing
    assert not isinstance(deactivate.outcome, Exception), deactivate.outcome
    assert waited is True
    assert isinstance(capture.outcome, services.CaptureError), capture.outcome
    expected = {
        "location": ("$.epcisBody.eventList[0].readPoint.id", 422),
        "party": ("$", 403),
    }[row]
    assert (capture.outcome.errors[0]["path"], capture.outcome.status) == expected
    assert Event.objects.count() == 0
    assert CaptureJob.objects.get().status == CaptureJob.Status.FAILED


def test_a_deactivation_waits_for_a_capture_in_flight_which_is_stored():
    # given a capture at the plant, done but not yet committed
    chain = Chain()
    capture = Side(_capture_at(chain, chain.plant, chain.processor, "RACE-2"), hold=True)
    deactivate = Side(
        lambda: services.location_update(location=chain.plant, changes={"is_active": False}),
        hold=False,
    )
    # when the plant is deactivated meanwhile
    waited = _race(capture, deactivate)
    # then the deactivation waited for the capture: the event is stored, the plant inactive
    assert not isinstance(capture.outcome, Exception), capture.outcome
    assert not isinstance(deactivate.outcome, Exception), deactivate.outcome
    assert waited is True
    assert Event.objects.count() == 1
    assert Location.objects.get(pk=chain.plant.pk).is_active is False


def test_a_company_prefixs_party_deactivated_while_a_capture_waits_refuses_the_capture():
    # given the retailer's GS1 company prefix, and a deactivation of the retailer holding its
    # row lock, not yet committed
    chain = Chain()
    chain.retailer.company_prefix = "8812345"
    chain.retailer.save(update_fields=["company_prefix"])
    deactivate = Side(
        lambda: services.party_update(party=chain.retailer, changes={"is_active": False}),
        hold=True,
    )
    event = object_event(
        chain, lot=chain.lot(chain.whole, "RACE-3"), minutes=0, location=chain.plant
    )
    event["epcList"] = ["urn:epc:id:sscc:8812345.0000000001"]  # a pallet of the retailer's
    doc = document(event)
    capture = Side(
        lambda: services.epcis_document_capture(document=doc, party=chain.processor), hold=False
    )
    # when the processor captures an event naming the retailer's SSCC meanwhile
    waited = _race(deactivate, capture)
    # then the capture waited for the deactivation (the prefix's party is locked too), was
    # refused naming the SSCC, and stored nothing
    assert not isinstance(deactivate.outcome, Exception), deactivate.outcome
    assert waited is True
    assert isinstance(capture.outcome, services.CaptureError), capture.outcome
    assert capture.outcome.status == 422
    assert [error["path"] for error in capture.outcome.errors] == [
        "$.epcisBody.eventList[0].epcList[0]"
    ]
    assert Event.objects.count() == 0
