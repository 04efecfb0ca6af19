"""Reads of B-Fresh: EPCIS queries, aggregation contents, genealogy, holders, provenance."""

import functools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import connection
from django.db.models import QuerySet

from busanhub.db import PreparedStatement, sql_file

from .epcis import identifiers
from .epcis.times import parse_time
from .models import Event, EventEPC, Location, Lot, Party, Reading

R = EventEPC.Role
STAFF_GROUPS = ("staff-logistics", "auditor")


def user_sees_everything(user: AbstractBaseUser | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name__in=STAFF_GROUPS).exists()


def parties_of_user(user) -> list[Party]:
    if user is None or not user.is_authenticated:
        return []
    return list(Party.objects.filter(members=user))


class QueryError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def _times(value: str, parameter: str) -> datetime:
    try:
        return parse_time(value.replace(" ", "+"))
    except ValueError as exc:
        raise QueryError(parameter, f"{parameter} is not an ISO 8601 date-time with zone") from exc


def _values(params, name: str) -> list[str]:
    values = []
    for raw in params.getlist(name):
        values += [value.strip() for value in raw.split("|") if value.strip()]
    return values


_MATCH_ROLES = {
    "MATCH_epc": [R.EPC, R.CHILD],
    "MATCH_parentID": [R.PARENT],
    "MATCH_inputEPC": [R.INPUT],
    "MATCH_outputEPC": [R.OUTPUT],
    "MATCH_anyEPC": [R.EPC, R.CHILD, R.PARENT, R.INPUT, R.OUTPUT],
    "MATCH_epcClass": [R.QUANTITY, R.CHILD_QUANTITY],
    "MATCH_inputEPCClass": [R.INPUT_QUANTITY],
    "MATCH_outputEPCClass": [R.OUTPUT_QUANTITY],
    "MATCH_anyEPCClass": [R.QUANTITY, R.CHILD_QUANTITY, R.INPUT_QUANTITY, R.OUTPUT_QUANTITY],
}
_VOCAB = {
    "EQ_bizStep": "biz_step",
    "EQ_disposition": "disposition",
    "EQ_action": "action",
}
SUPPORTED = {
    "eventType",
    "GE_eventTime",
    "LT_eventTime",
    "GE_recordTime",
    "LT_recordTime",
    "EQ_readPoint",
    "EQ_bizLocation",
    "EQ_eventID",
    "perPage",
    "nextPageToken",
    *_MATCH_ROLES,
    *_VOCAB,
}


def _vocab_variants(value: str) -> list[str]:
    """A CBV value in the spellings a capture may use: bare, URN, web URI."""
    bare = value.rsplit("-", 1)[-1] if value.startswith("http") else value.rsplit(":", 1)[-1]
    return [value, bare]


def events_visible_to(*, user=None, party: Party | None = None) -> QuerySet[Event]:
    """Staff and auditors see every event; a party sees the events it took part in."""
    if party is not None:
        return Event.objects.filter(parties=party)
    if user_sees_everything(user):
        return Event.objects.all()
    return Event.objects.filter(parties__members=user).distinct() if user else Event.objects.none()


def events_query(*, params, base: QuerySet[Event]) -> tuple[list[Event], str | None]:
    """SimpleEventQuery over `base`, ordered by record time; returns (page, nextPageToken)."""
    unknown = sorted(set(params) - SUPPORTED)
    if unknown:
        raise QueryError(unknown[0], f"unsupported query parameter {unknown[0]}")
    queryset = base
    if types := _values(params, "eventType"):
        bad = [t for t in types if t not in Event.Type.values]
        if bad:
            raise QueryError("eventType", f"unknown eventType {bad[0]}")
        queryset = queryset.filter(event_type__in=types)
    for parameter, lookup in (
        ("GE_eventTime", "event_time__gte"),
        ("LT_eventTime", "event_time__lt"),
        ("GE_recordTime", "record_time__gte"),
        ("LT_recordTime", "record_time__lt"),
    ):
        if parameter in params:
            queryset = queryset.filter(**{lookup: _times(params[parameter], parameter)})
    for parameter, column in _VOCAB.items():
        if values := _values(params, parameter):
            variants = [variant for value in values for variant in _vocab_variants(value)]
            queryset = queryset.filter(**{f"{column}__in": variants})
    for parameter, column in (("EQ_readPoint", "read_point"), ("EQ_bizLocation", "biz_location")):
        if values := _values(params, parameter):
            queryset = queryset.filter(
                **{f"{column}__in": [identifiers.canonical(v) for v in values]}
            )
    if values := _values(params, "EQ_eventID"):
        queryset = queryset.filter(event_id__in=values)
    for parameter, roles in _MATCH_ROLES.items():
        if values := _values(params, parameter):
            canon = [identifiers.canonical(value) for value in values]
            queryset = queryset.filter(
                pk__in=EventEPC.objects.filter(identifier__in=canon, role__in=roles).values(
                    "event_id"
                )
            )
    try:
        per_page = int(params.get("perPage", 30))
    except ValueError as exc:
        raise QueryError("perPage", "perPage is a whole number") from exc
    if not 1 <= per_page <= 1000:
        raise QueryError("perPage", "perPage is between 1 and 1000")
    if token := params.get("nextPageToken"):
        try:
            after_pk = signing.loads(token, salt="logistics.events")["after"]
        except (signing.BadSignature, KeyError, TypeError) as exc:
            raise QueryError("nextPageToken", "nextPageToken is not valid") from exc
        queryset = queryset.filter(pk__gt=after_pk)
    page = list(queryset.order_by("pk")[: per_page + 1])
    next_token = None
    if len(page) > per_page:
        page = page[:per_page]
        next_token = signing.dumps({"after": page[-1].pk}, salt="logistics.events")
    return page, next_token


def event_as_epcis(event: Event) -> dict:
    """The event as captured, plus the recordTime the repository gave it."""
    data = dict(event.data)
    data["recordTime"] = event.record_time.isoformat().replace("+00:00", "Z")
    return data


def query_document(events: list[Event], *, creation: datetime) -> dict:
    context: list = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
    extras: dict = {}
    for event in events:
        for entry in event.context or []:
            if isinstance(entry, dict):
                extras.update(entry)
    if extras:
        context.append(extras)
    return {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": creation.isoformat().replace("+00:00", "Z"),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": [event_as_epcis(event) for event in events]},
            }
        },
    }


# Genealogy -------------------------------------------------------------------------------------


def contents_of(identifier: str, *, at: datetime | None = None) -> set[str]:
    """Everything aggregated into `identifier` (recursively) at time `at` (now if None)."""
    result: set[str] = set()
    queue = deque([identifier])
    while queue:
        parent = queue.popleft()
        events = Event.objects.filter(
            event_type=Event.Type.AGGREGATION,
            epcs__role=R.PARENT,
            epcs__identifier=parent,
        )
        if at is not None:
            events = events.filter(event_time__lte=at)
        state: dict[str, bool] = {}
        for event in events.order_by("event_time", "pk").prefetch_related("epcs"):
            for row in event.epcs.all():
                if row.role in (R.CHILD, R.CHILD_QUANTITY):
                    if event.action == "ADD":
                        state[row.identifier] = True
                    elif event.action == "DELETE":
                        state[row.identifier] = False
        for child, present in state.items():
            if present and child not in result:
                result.add(child)
                queue.append(child)
    return result


_FORWARD = {
    # (role of the known identifier, role of the linked identifier, event type)
    (R.INPUT, R.OUTPUT),
    (R.INPUT_QUANTITY, R.OUTPUT),
    (R.INPUT, R.OUTPUT_QUANTITY),
    (R.INPUT_QUANTITY, R.OUTPUT_QUANTITY),
    (R.CHILD, R.PARENT),
    (R.CHILD_QUANTITY, R.PARENT),
}


TRACE_STEP = PreparedStatement(
    "logistics_trace_step",
    sql_file(Path(__file__).resolve().parent / "sql" / "trace_step.sql"),
    params=[
        ("known_roles", "text[]"),
        ("linked_roles", "text[]"),
        ("identifiers", "text[]"),
        ("aggregation_roles", "text[]"),
    ],
    generic_plan=True,
)
_AGGREGATION_ROLES = [R.CHILD, R.CHILD_QUANTITY, R.PARENT]

BIZ_STEPS = PreparedStatement(
    "logistics_biz_steps", sql_file(Path(__file__).resolve().parent / "sql" / "biz_steps.sql")
)


def biz_steps_all() -> list[str]:
    """Every business step some event has, sorted: what `SELECT DISTINCT biz_step` returns,
    by one index probe per step instead of a read of every event."""
    with connection.cursor() as cursor:
        return [value for (value,) in BIZ_STEPS.execute(cursor)]


def _step(identifiers_now: set[str], *, forward: bool) -> dict[str, set[str]]:
    """One level of a trace in one statement: what each identifier links to."""
    pairs = sorted(_FORWARD if forward else {(b, a) for a, b in _FORWARD})
    links: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        rows = TRACE_STEP.execute(
            cursor,
            known_roles=[known for known, _ in pairs],
            linked_roles=[linked for _, linked in pairs],
            identifiers=sorted(identifiers_now),
            aggregation_roles=_AGGREGATION_ROLES,
        )
    for known, linked in rows:
        links.setdefault(known, set()).add(linked)
    return links


def trace(identifier: str, *, forward: bool, max_depth: int = 20) -> list[tuple[str, int]]:
    """Every identifier downstream (forward) or upstream (back) of one, with its depth."""
    start = identifiers.canonical(identifier)
    seen = {start: 0}
    frontier = {start}
    for depth in range(1, max_depth + 1):
        links = _step(frontier, forward=forward)
        frontier = {linked for group in links.values() for linked in group} - set(seen)
        if not frontier:
            break
        for linked in frontier:
            seen[linked] = depth
    return sorted(((key, depth) for key, depth in seen.items() if key != start), key=lambda x: x[1])


def lots_affected(lots: list[Lot]) -> list[Lot]:
    """The chosen lots and every lot downstream of them (transformations, aggregations)."""
    wanted = {lot.identifier for lot in lots}
    for lot in lots:
        wanted.update(identifier for identifier, _ in trace(lot.identifier, forward=True))
    return list(Lot.objects.filter(identifier__in=wanted).select_related("product"))


def lot_holder(
    lot: Lot, *, ignore_job_pk: int | None = None
) -> tuple[Party | None, Location | None]:
    """The party holding a lot now: at the business location of its latest event (not counting
    the events of capture job `ignore_job_pk`, when given)."""
    containers = {lot.identifier}
    containers.update(identifier for identifier, _ in trace(lot.identifier, forward=True))
    events = Event.objects.filter(epcs__identifier__in=containers).exclude(biz_location="")
    if ignore_job_pk is not None:
        events = events.exclude(job_id=ignore_job_pk)
    event = events.order_by("-event_time", "-pk").first()
    if event is None:
        return None, None
    gln = identifiers.parse(event.biz_location).gln
    location = Location.objects.select_related("party").filter(gln=gln).first()
    return (location.party if location else None), location


def party_may_monitor(*, party: Party, identifier: str, ignore_job_pk: int | None = None) -> bool:
    """Whether a party's data logger (or sensor data it captures) may report on an object (a
    lot, a box, a pallet).

    It may when the party holds the object or took part in its journey: it owns the lot's
    product, or an event naming the object is linked to it (captured by it, at one of its
    locations, or naming it as a transfer's source or destination), or it is the lot's holder
    now (the owner of the business location of the latest event of the lot or of a box or
    pallet it is in). Anything else is another party's goods, on which its readings would
    declare breaches.

    With `ignore_job_pk`, the events of that capture job do not count (a capture cannot make
    its own sensor data admissible), except that goods no other party has recorded (no other
    owner, no event outside the job) are the capturer's to report on.
    """
    canon = identifiers.canonical(identifier)
    lot = Lot.objects.select_related("product").filter(identifier=canon).first()
    if lot is not None and lot.product.owner_id == party.pk:
        return True
    rows = EventEPC.objects.all()
    if ignore_job_pk is not None:
        rows = rows.exclude(event__job_id=ignore_job_pk)
        unowned = lot is None or lot.product.owner_id is None
        if unowned and not rows.filter(identifier=canon).exists():
            return True
    # The boxes and pallets it is (or was) packed in count: a party that received a pallet
    # took part in the journey of the lots inside.
    containers = {
        key
        for key, _depth in trace(canon, forward=True, max_depth=3)
        if "/00/" in key or "/21/" in key
    }
    if rows.filter(identifier__in={canon, *containers}, event__parties=party).exists():
        return True
    if lot is None:
        return False
    holder, _location = lot_holder(lot, ignore_job_pk=ignore_job_pk)
    return holder is not None and holder.pk == party.pk


@dataclass
class Provenance:
    lot: Lot
    events: list[Event]
    readings: list[Reading]
    locations: dict[str, Location] = field(default_factory=dict)
    origins: list[Lot] = field(default_factory=list)


def lot_provenance(lot: Lot) -> Provenance:
    """The lot's journey: its own events and those of its ancestors and containers, in order."""
    upstream = {identifier for identifier, _ in trace(lot.identifier, forward=False)}
    containers = set()
    for identifier in {lot.identifier, *upstream}:
        containers.update(
            parent
            for parent, _ in trace(identifier, forward=True, max_depth=3)
            if "/00/" in parent or "/21/" in parent
        )
    related = {lot.identifier, *upstream, *containers}
    events = list(
        Event.objects.filter(epcs__identifier__in=related).distinct().order_by("event_time", "pk")
    )
    glns = {identifiers.parse(e.biz_location or e.read_point).gln for e in events}
    locations = {loc.gln: loc for loc in Location.objects.filter(gln__in=glns)}
    origins = list(Lot.objects.filter(identifier__in=upstream).select_related("product"))
    readings = list(
        Reading.objects.filter(lot__identifier__in={lot.identifier, *upstream}).order_by("time")
    )
    return Provenance(
        lot=lot, events=events, readings=readings, locations=locations, origins=origins
    )


def lot_by_digital_link(*, gtin: str, lot_code: str) -> Lot | None:
    return (
        Lot.objects.select_related("product")
        .filter(identifier=identifiers.lot_dl(gtin=gtin, lot=lot_code))
        .first()
    )


class RecallNotice(NamedTuple):
    reason: str
    reason_ko: str


@functools.cache
def _panel_statement() -> PreparedStatement:
    """Built on first use: the user model's group table is known once the apps are loaded."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .models import Recall

    user_groups = get_user_model().groups.through._meta.db_table
    return PreparedStatement(
        "logistics_dashboard_panel",
        # One row even without recalls (the LEFT JOIN): whether the user manages master data
        # (a capture group, or a party's member), then up to three recalls in force.
        "SELECT (EXISTS (SELECT 1 FROM "  # noqa: S608 - the models' tables
        f"{user_groups} AS member JOIN {Group._meta.db_table} AS grp ON grp.id = member.group_id "
        "WHERE member.user_id = %(user)s AND grp.name = ANY (%(groups)s::text[])) "
        f"OR EXISTS (SELECT 1 FROM {Party.members.through._meta.db_table} AS party "
        "WHERE party.user_id = %(user)s)), recall.created_at, recall.reason, recall.reason_ko "
        "FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT reason, reason_ko, created_at "
        f"FROM {Recall._meta.db_table} WHERE status <> %(closed)s "
        "ORDER BY created_at DESC LIMIT 3) AS recall ON true ORDER BY recall.created_at DESC",
        params=[("user", "bigint"), ("groups", "text[]"), ("closed", "text")],
    )


def dashboard_panel_of(*, user, groups: tuple[str, ...]) -> tuple[bool, list[RecallNotice]]:
    """For the /me/ panel, in one prepared statement: whether the user belongs to one of
    `groups` or to a party, and the three newest recalls not closed (their reasons only)."""
    from .models import Recall

    with connection.cursor() as cursor:
        rows = _panel_statement().execute(
            cursor, user=user.pk, groups=list(groups), closed=Recall.Status.CLOSED.value
        )
    member = bool(rows and rows[0][0])
    return member, [
        RecallNotice(reason, reason_ko)
        for _, created_at, reason, reason_ko in rows
        if created_at is not None
    ]


def recalls_in_force():
    """Public recall notices: the recalls not closed, newest first, with their affected lots."""
    from .models import Recall

    return (
        Recall.objects.exclude(status=Recall.Status.CLOSED)
        .prefetch_related("affected_lots__product")
        .order_by("-created_at")
    )
