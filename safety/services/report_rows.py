"""A new report's rows in one prepared statement: the anchor leaf of its version 1, the report,
its first timeline entry and the reporter as follower.

Written through the ORM they were four INSERTs, each compiled value by value: about 1.1 ms of
a filing's web-process CPU and four round trips (BENCHMARKS.md, branch i-photos, third
session). The columns come from the models (every concrete field, as `Model.save` writes
them: `pre_save` then `get_db_prep_save`), so a field added to a model is written here too;
every value is a parameter. Character columns take `text` parameters, so an over-long value
fails the INSERT (an assignment cast) instead of being cut as an explicit `varchar(n)` cast
would. The statement is atomic by itself; the caller's transaction holds it with the photos'
rows and the map cells."""

import functools
import json
from typing import Any

from django.db import connection
from django.db.models import Field

from busanhub.chain.services import ANCHOR_LEAF_TABLE
from busanhub.db import PreparedStatement
from safety.models import Follower, Report, ReportUpdate

_TEXT_FIELDS = ("CharField", "SlugField", "TextField", "EmailField", "URLField")
_LEAF_PARAMS = [
    ("leaf_kind", "text"),
    ("leaf_ref", "text"),
    ("leaf_version", "integer"),
    ("leaf_digest", "text"),
    ("leaf_envelope", "jsonb"),
    ("leaf_is_public", "boolean"),
    ("leaf_created_at", "timestamptz"),
]


def _report_fields() -> list[Field]:
    return [f for f in Report._meta.concrete_fields if not f.primary_key]


def _update_fields() -> list[Field]:
    """The timeline entry's columns but its report (the statement's new report's id)."""
    return [
        f for f in ReportUpdate._meta.concrete_fields if not f.primary_key and f.name != "report"
    ]


def _param_type(field: Field) -> str:
    if field.get_internal_type() in _TEXT_FIELDS:
        return "text"
    return field.db_type(connection) or "text"


@functools.cache
def _statement() -> PreparedStatement:
    quote = connection.ops.quote_name
    report_fields, update_fields = _report_fields(), _update_fields()
    report_params = [(f"r{n}", _param_type(f)) for n, f in enumerate(report_fields)]
    update_params = [(f"u{n}", _param_type(f)) for n, f in enumerate(update_fields)]

    def columns(fields: list[Field]) -> str:
        return ", ".join(quote(f.column) for f in fields)

    def values(params: list[tuple[str, str]]) -> str:
        return ", ".join(f"%({name})s" for name, _ in params)

    report_fk = quote(ReportUpdate._meta.get_field("report").column)
    follower = Follower._meta
    sql = (
        f"WITH leaf AS (INSERT INTO {quote(ANCHOR_LEAF_TABLE)} "  # noqa: S608 - names only
        "(kind, ref, version, digest, envelope, is_public, created_at) "
        f"VALUES ({values(_LEAF_PARAMS)})), "
        f"report AS (INSERT INTO {quote(Report._meta.db_table)} ({columns(report_fields)}) "
        f"VALUES ({values(report_params)}) RETURNING id), "
        f"timeline AS (INSERT INTO {quote(ReportUpdate._meta.db_table)} "
        f"({report_fk}, {columns(update_fields)}) "
        f"SELECT report.id, {values(update_params)} FROM report RETURNING id), "
        f"follower AS (INSERT INTO {quote(follower.db_table)} "
        f"({quote(follower.get_field('report').column)}, "
        f"{quote(follower.get_field('user').column)}, "
        f"{quote(follower.get_field('created_at').column)}) "
        "SELECT report.id, %(follower)s, %(followed_at)s FROM report "
        "WHERE %(follower)s IS NOT NULL) "
        "SELECT report.id, timeline.id FROM report, timeline"
    )
    params = [
        *_LEAF_PARAMS,
        *report_params,
        *update_params,
        ("follower", "bigint"),
        ("followed_at", "timestamptz"),
    ]
    return PreparedStatement("safety_report_insert", sql, params=params)


def _db_values(instance, fields: list[Field], prefix: str) -> dict[str, Any]:
    return {
        f"{prefix}{n}": f.get_db_prep_save(f.pre_save(instance, True), connection)
        for n, f in enumerate(fields)
    }


def report_rows_insert(
    *, report: Report, update: ReportUpdate, leaf: dict[str, Any], followed_at
) -> None:
    """Inserts checked, unsaved `report`, its timeline entry `update` (version 1) and the leaf
    of `leaf`'s columns (`anchor_leaf_columns`), and the reporter, if any, as follower at
    `followed_at`; sets the saved report's and entry's primary keys. Inside the caller's
    transaction. A unique or foreign key that clashes raises IntegrityError, as the INSERTs
    did: nothing of the statement is stored."""
    with connection.cursor() as cursor:
        rows = _statement().execute(
            cursor,
            leaf_kind=leaf["kind"],
            leaf_ref=leaf["ref"],
            leaf_version=leaf["version"],
            leaf_digest=leaf["digest"],
            leaf_envelope=json.dumps(leaf["envelope"]),
            leaf_is_public=leaf["is_public"],
            leaf_created_at=followed_at,
            **_db_values(report, _report_fields(), "r"),
            **_db_values(update, _update_fields(), "u"),
            follower=report.reporter_id,
            followed_at=followed_at,
        )
    report.pk, update.pk = rows[0]
    update.report = report
    for instance in (report, update):
        instance._state.adding = False
        instance._state.db = connection.alias
