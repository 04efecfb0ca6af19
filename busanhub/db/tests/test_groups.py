"""busanhub.db.Group: concurrent tickets go as one group, each with its own outcome; a failed
group runs each ticket alone; `exclusive` keeps two tickets apart."""

import threading
import time
from dataclasses import dataclass, field

import pytest

from busanhub.db import Group, signal


@dataclass(eq=False)
class Ticket:
    key: str
    owner: int
    outcome: str | None = None
    lead: bool = False
    ready: threading.Lock = field(default_factory=signal)


def _queued(group: Group, count: int):
    """Holds the lead until `count` tickets wait, then hands it to the first of them."""
    with group._lock:
        group._leading = True

    def release():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with group._lock:
                if len(group._waiting) == count:
                    group._waiting[0].lead = True
                    group._waiting[0].ready.release()
                    return
            time.sleep(0.002)

    return threading.Thread(target=release)


def _submit_all(group: Group, tickets: list[Ticket]) -> None:
    release = _queued(group, len(tickets))
    release.start()
    threads = [threading.Thread(target=group.place, args=(t,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    release.join()


def _group(runs: list, *, fail_over: int = 0) -> Group:
    def run(tickets):
        runs.append([t.owner for t in tickets])
        if fail_over and len(tickets) > fail_over:
            raise RuntimeError("the group's statement failed")
        for ticket in tickets:
            ticket.outcome = f"done {ticket.owner}"

    return Group(run, key=lambda t: t.key, exclusive=lambda t: t.owner, what="test")


def test_waiting_tickets_go_as_groups_by_key_with_one_per_exclusive_value():
    runs: list = []
    group = _group(runs)
    tickets = [Ticket("a", 1), Ticket("a", 2), Ticket("b", 3), Ticket("a", 1), Ticket("a", 4)]
    _submit_all(group, tickets)
    assert [t.outcome for t in tickets] == [f"done {t.owner}" for t in tickets]
    assert sorted(map(sorted, runs)) == [[1], [1, 2, 4], [3]]
    assert (group._leading, group._waiting) == (False, [])


def test_a_failed_group_leaves_its_tickets_to_run_alone(caplog):
    runs: list = []
    group = _group(runs, fail_over=1)
    tickets = [Ticket("a", n) for n in range(3)]
    _submit_all(group, tickets)
    assert [t.outcome for t in tickets] == [None, None, None]
    for ticket in tickets:  # what submit does next, outside a transaction
        group._run([ticket])
    assert runs == [[0, 1, 2], [0], [1], [2]]
    assert [t.outcome for t in tickets] == ["done 0", "done 1", "done 2"]
    assert "a test group of 3 failed" in caplog.text


@pytest.mark.django_db
def test_inside_a_transaction_a_ticket_runs_alone():
    runs: list = []
    group = _group(runs)
    ticket = Ticket("a", 1)
    group.submit(ticket)  # the test's transaction: no group
    assert (runs, ticket.outcome) == ([[1]], "done 1")
