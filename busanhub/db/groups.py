"""Group commit: what a process's threads send at the same moment goes to the database as one
statement, sharing its round trip and its commit."""

import logging
import threading

from django.db import connection

logger = logging.getLogger(__name__)


def signal() -> threading.Lock:
    """A one-shot signal: a held lock that its waiter acquires and the setter releases (one
    futex wake; an Event's set goes through a Condition and its lock as well)."""
    lock = threading.Lock()
    lock.acquire()
    return lock


class Group:
    """Group commit for statements outside a transaction: `run` takes a list of tickets and
    sets each one's `outcome`. The first waiting thread leads: it takes up to MAX waiting
    tickets with the first one's `key`, no two with the same `exclusive` value (None: no
    limit), runs them on its connection, wakes their threads and hands the lead to the next
    waiting thread. Each ticket gets its own outcome, only after the commit that holds it. A
    group that fails (a database error) leaves its tickets' outcome None: each thread then
    runs its own alone, so the error reaches its own caller.

    A ticket has `outcome` (None until run), `lead` (False) and `ready` (a `signal()`).
    Call `reset` in a forked child (`os.register_at_fork(after_in_child=group.reset)`)."""

    MAX = 32

    def __init__(self, run, *, key, exclusive, what: str):
        self._run, self._key, self._exclusive, self._what = run, key, exclusive, what
        self._lock = threading.Lock()
        self._waiting: list = []
        self._leading = False

    def submit(self, ticket) -> None:
        """Runs `ticket`: with the other threads' tickets of the moment, or alone inside a
        caller's transaction or when its group failed. Its outcome is set after."""
        if not connection.in_atomic_block:
            self.place(ticket)
        if ticket.outcome is None:
            self._run([ticket])

    def place(self, ticket) -> None:
        with self._lock:
            self._waiting.append(ticket)
            lead, self._leading = not self._leading, True
        if not lead:
            ticket.ready.acquire()  # released once: outcome set, or the lead handed on
            if not ticket.lead:
                return  # placed by the leader
        group = []
        try:
            with self._lock:
                group = self._take()  # holds `ticket`: it is the first waiting
            self._run(group)
        except Exception:
            logger.warning("a %s group of %d failed; running one by one", self._what, len(group))
            for member in group:
                member.outcome = None
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].lead = True
                    self._waiting[0].ready.release()
                else:
                    self._leading = False
            for member in group:
                if member is not ticket:
                    member.ready.release()

    def _take(self) -> list:
        key = self._key(self._waiting[0])
        group: list = []
        taken: set = set()
        rest: list = []
        for ticket in self._waiting:
            exclusive = self._exclusive(ticket)
            if len(group) < self.MAX and self._key(ticket) == key and exclusive not in taken:
                group.append(ticket)
                if exclusive is not None:
                    taken.add(exclusive)
            else:
                rest.append(ticket)
        self._waiting = rest
        return group

    def reset(self) -> None:
        """A forked child starts with no group (its parent's threads are not in it)."""
        self._lock = threading.Lock()
        self._waiting, self._leading = [], False
