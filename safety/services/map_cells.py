"""The public map's cell counts (`MapCell`): moved in the same transaction as every change of a
report's place, category or status (filing and workflow), rebuilt whole by
`map_cells_rebuild`. Each change also renews the map's version, which the cached map responses
are keyed on, once the transaction commits."""

import time

from django.core.cache import cache
from django.db import connection, transaction

from safety import map_grid
from safety.models import MapCell, Report

MAP_VERSION_KEY = "safety:map:version"

_UPSERT = """
INSERT INTO safety_mapcell AS cell (level, x, y, category_id, status, count, lat_sum, long_sum)
VALUES {rows}
ON CONFLICT (level, x, y, category_id, status) DO UPDATE SET
    count = cell.count + EXCLUDED.count,
    lat_sum = cell.lat_sum + EXCLUDED.lat_sum,
    long_sum = cell.long_sum + EXCLUDED.long_sum
"""

_REBUILD = """
INSERT INTO safety_mapcell (level, x, y, category_id, status, count, lat_sum, long_sum)
SELECT grid.level, floor(report.long * 2 ^ grid.level)::integer,
       floor(report.lat * 2 ^ grid.level)::integer, report.category_id, report.status,
       count(*), sum(report.lat), sum(report.long)
FROM safety_report AS report CROSS JOIN unnest(%s::smallint[]) AS grid(level)
WHERE report.lat IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""


def map_version_renew() -> None:
    """A new map version (cached map responses of the old one are no longer read)."""
    cache.set(MAP_VERSION_KEY, time.time_ns(), timeout=None)


def map_cells_move(*, report: Report, from_status: str | None, to_status: str | None) -> None:
    """Counts `report` out of its cells under `from_status` and into them under `to_status`
    (None: not counted there), at every level; one statement, inside the caller's transaction.
    Rows are written in key order, so two transactions never wait on each other in a cycle.
    A report without coordinates is not on the map: nothing changes."""
    if report.lat is None or report.long is None or from_status == to_status:
        return
    rows = []
    for status, sign in ((from_status, -1), (to_status, 1)):
        if status is None:
            continue
        for level in map_grid.LEVELS:
            x, y = map_grid.cell_of(level=level, lat=report.lat, long=report.long)
            key = (level, x, y, report.category_id, str(status))
            rows.append((key, sign))
    rows.sort(key=lambda row: row[0])
    params: list = []
    for (level, x, y, category_id, status), sign in rows:
        params += [level, x, y, category_id, status, sign, sign * report.lat, sign * report.long]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(rows=values), params)
    transaction.on_commit(map_version_renew)


@transaction.atomic
def map_cells_rebuild() -> int:
    """Counts every located report again (after a bulk load, or to repair); returns the number
    of cell rows. Filings and transitions wait for it (their transactions counted before it
    started are in its count; those after it add to it)."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE safety_mapcell IN EXCLUSIVE MODE")
        MapCell.objects.all().delete()
        cursor.execute(_REBUILD, [list(map_grid.LEVELS)])
        rows = cursor.rowcount
    transaction.on_commit(map_version_renew)
    return rows
