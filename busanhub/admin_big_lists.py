"""Change lists over a city's tables: the row count estimated where counting would cost the page,
and only the columns the list shows loaded.

Counting. Django's change list COUNTs the rows its filters leave (the paginator's `count`) to
number the pages; over a table of a million payments or ten million events an unfiltered
COUNT(*) reads the whole table on every page, and is most of the page's cost. What large Django
back offices do (and what PostgreSQL's own wiki on slow counting advises): number the pages of
an unfiltered list from the planner's estimate, `pg_class.reltuples`, which autovacuum's
ANALYZE keeps within a few per cent, and say on the page that it is an estimate. A filtered or
searched list (a WHERE clause: a status, a search, an instructor's own university) is counted
exactly, as is any table the estimate puts under ESTIMATE_FROM rows (it is -1 before the
first ANALYZE), so a small table's count never changes. The pages past the real end of an
overestimated table show no rows; an underestimate leaves the last rows a search away.
`show_full_result_count = False` on these lists leaves out Django's second count, of the
whole table, beside the filtered one.

Columns. `list_columns` names the fields the rows need (a related model's as `merchant__code`),
the rest (descriptions, JSON bodies, password hashes of a related user) stay in the database.
Only the page's rows are narrowed: the action on selected rows, the change form and the counts
read the model admin's own queryset, so a service never receives a row with deferred fields.
A column a list shows but `list_columns` leaves out costs a query a row; each list's page has a
query-count test (tests/test_admin_big_lists.py) that catches it."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows (by the estimate) a list is counted exactly: COUNT(*) of 100k narrow
# rows through an index-only scan is a few ms, and a small table's count stays exact.
ESTIMATE_FROM = 100_000
# The estimate changes only when ANALYZE runs (autovacuum: after a tenth of the table changed),
# so each process reads it once a minute, not once a page.
ESTIMATE_REMEMBERED_S = 60.0
_estimates: dict[tuple[str, str], tuple[float, int]] = {}


def table_rows_estimate(queryset: QuerySet) -> int:
    """The planner's row estimate of the queryset's table (-1: never analysed)."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1


def table_rows_estimate_remembered(queryset: QuerySet) -> int:
    """`table_rows_estimate`, read at most once per ESTIMATE_REMEMBERED_S in this process."""
    key = (queryset.db, queryset.model._meta.db_table)
    now = time.monotonic()
    found = _estimates.get(key)
    if found is not None and now - found[0] < ESTIMATE_REMEMBERED_S:
        return found[1]
    estimate = table_rows_estimate(queryset)
    _estimates[key] = (now, estimate)
    return estimate


def is_unfiltered(queryset: QuerySet) -> bool:
    """Whether the queryset is its whole table: no WHERE, no DISTINCT, no slice, no union."""
    query = queryset.query
    return not (
        query.where
        or query.distinct
        or query.combinator
        or query.low_mark
        or query.high_mark is not None
        or query.group_by is not None
    )


class EstimatedCountPaginator(Paginator):
    """A paginator whose count of a whole large table is PostgreSQL's estimate (the module)."""

    is_estimate = False

    @cached_property
    def count(self) -> int:
        object_list: Any = self.object_list
        if isinstance(object_list, QuerySet) and is_unfiltered(object_list):
            estimate = table_rows_estimate_remembered(object_list)
            if estimate >= ESTIMATE_FROM:
                self.is_estimate = True
                return estimate
        return super().count


class BigChangeList(ChangeList):
    """The change list with the page's rows narrowed to `list_columns` and the count's kind."""

    result_count_is_estimate = False

    def get_results(self, request: Any) -> None:
        columns = getattr(self.model_admin, "list_columns", None)
        if columns:
            self.queryset = self.queryset.only(*columns)
        super().get_results(request)
        self.result_count_is_estimate = getattr(self.paginator, "is_estimate", False)


class BigListAdmin(admin.ModelAdmin):
    """For a change list over a table that grows with the city (see the module)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # The fields the change list's rows read; None loads every column.
    list_columns: list[str] | None = None

    def get_changelist(self, request: Any, **kwargs: Any) -> type[ChangeList]:
        return BigChangeList
