"""Reads of the safety app that are more than one query line."""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from busanhub.db import PreparedStatement

from . import geo, map_grid
from .models import AttributeValue, Category, CategoryAttribute, Report, ReportUpdate

NEARBY_RADIUS_M = 50
NEARBY_DAYS = 7
MAP_LIMIT = 2000


def categories_active() -> QuerySet[Category]:
    return (
        Category.objects.filter(is_active=True)
        .select_related("department")
        .prefetch_related(
            Prefetch(
                "attributes",
                queryset=CategoryAttribute.objects.prefetch_related(
                    Prefetch("values", queryset=AttributeValue.objects.order_by("pk"))
                ),
            )
        )
    )


def category_definitions(*, category: Category) -> list[dict]:
    """The category's questions in the shape `attributes.clean_answers` expects (no query
    when the category's questions and values are prefetched, as `categories_active` does)."""
    return [
        {
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "variable": attribute.variable,
            "values": [value.key for value in attribute.values.all()],
        }
        for attribute in category_questions(category=category)
    ]


def category_questions(*, category: Category) -> list[CategoryAttribute]:
    """The category's questions in order, each with its values: no query when they are
    prefetched already (`categories_active`, the cached catalogue), two otherwise (read fresh,
    not kept on `category`)."""
    # Django has no public "is this relation prefetched"; its prefetch cache is this dict.
    if "attributes" in getattr(category, "_prefetched_objects_cache", {}):
        return list(category.attributes.all())
    return list(category.attributes.prefetch_related("values"))


def reports_near(
    *,
    lat: float,
    long: float,
    category: Category,
    radius_m: float = NEARBY_RADIUS_M,
    days: int = NEARBY_DAYS,
    exclude_pk: int | None = None,
) -> list[Report]:
    """Open reports of the category within `radius_m` metres filed in the last `days` days,
    nearest first. The database narrows by bounding box; the exact distance is checked here."""
    min_lat, min_long, max_lat, max_long = geo.bounding_box(lat, long, radius_m)
    since = timezone.now() - timedelta(days=days)
    candidates = (
        Report.objects.filter(
            category=category,
            status__in=Report.OPEN_STATUSES,
            created_at__gte=since,
            lat__gte=min_lat,
            lat__lte=max_lat,
            long__gte=min_long,
            long__lte=max_long,
        )
        .exclude(pk=exclude_pk)
        .select_related("category")
    )
    within = []
    for report in candidates:
        distance = geo.distance_m(lat, long, report.lat, report.long)
        if distance <= radius_m:
            report.distance_m = distance
            within.append(report)
    return sorted(within, key=lambda report: report.distance_m)


# What the public sees of a report: never the reporter or their contact.
_PUBLIC_COLUMNS = (
    "public_id",
    "lat",
    "long",
    "status",
    "created_at",
    "category__service_code",
    "category__name_ko",
    "category__name_en",
)


def reports_public(*, service_code: str = "", status: str = "") -> QuerySet[Report]:
    """Located reports, newest first, filtered as the public map filters them: `status` is a
    Report.Status or `open`/`closed`. Callers show only `_PUBLIC_COLUMNS`."""
    reports = Report.objects.filter(lat__isnull=False)
    if service_code:
        reports = reports.filter(category__service_code=service_code)
    if status == "open":
        reports = reports.filter(status__in=Report.OPEN_STATUSES)
    elif status == "closed":
        reports = reports.filter(status__in=Report.CLOSED_STATUSES)
    elif status:
        reports = reports.filter(status=status)
    return reports.order_by("-created_at", "-pk")


def reports_public_rows(
    *, service_code: str = "", status: str = ""
) -> QuerySet[Report, dict[str, Any]]:
    """The public list's rows (dicts without reporter or contact), for pagination."""
    return reports_public(service_code=service_code, status=status).values(*_PUBLIC_COLUMNS)


def reports_for_map(
    *,
    bbox: tuple[float, float, float, float] | None = None,
    service_code: str = "",
    status: str = "",
    limit: int = MAP_LIMIT,
) -> list[dict]:
    """Public map points: no reporter, no contact, newest first, at most `limit`; the rows
    `reports_public` keeps, as dicts of `_PUBLIC_COLUMNS`.

    `bbox` is (min_long, min_lat, max_long, max_lat); `status` is a Report.Status or
    `open`/`closed`. The statement is the one the ORM made for `reports_public` (same
    conditions, same plans), written out: building it through the ORM cost more CPU than the
    database spent running it (every map request for a street-sized viewport runs it).
    """
    sql, params = _public_where(bbox=bbox, service_code=service_code, status=status)
    sql = [_MAP_POINTS_SELECT, *sql, "ORDER BY report.created_at DESC, report.id DESC LIMIT %s"]
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        return [dict(zip(_PUBLIC_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def reports_public_count(*, service_code: str = "", status: str = "") -> int:
    """`reports_public(service_code=…, status=…).count()`, the same statement written out (the
    map page counts its list on every visit; the ORM's COUNT cost more to build than to run)."""
    sql, params = _public_where(bbox=None, service_code=service_code, status=status)
    with connection.cursor() as cursor:
        cursor.execute(" ".join([_PUBLIC_COUNT, *sql]), params)
        return cursor.fetchone()[0]


def _public_where(
    *, bbox: tuple[float, float, float, float] | None, service_code: str, status: str
) -> tuple[list[str], list[Any]]:
    """The WHERE of `reports_public`'s filters (and a bbox) over `report` and `category`."""
    sql = ["WHERE report.lat IS NOT NULL"]
    params: list[Any] = []
    if bbox is not None:
        min_long, min_lat, max_long, max_lat = bbox
        sql.append("AND report.lat >= %s AND report.lat <= %s")
        sql.append("AND report.long >= %s AND report.long <= %s")
        params += [min_lat, max_lat, min_long, max_long]
    if service_code:
        sql.append("AND category.service_code = %s")
        params.append(service_code)
    if status:
        sql.append("AND report.status = ANY(%s)")
        params.append(_statuses_of(status))
    return sql, params


_PUBLIC_FROM = (
    f"FROM {Report._meta.db_table} AS report "
    f"JOIN {Category._meta.db_table} AS category ON category.id = report.category_id"
)
_MAP_POINTS_SELECT = (
    "SELECT report.public_id, report.lat, report.long, report.status, report.created_at, "  # noqa: S608
    f"category.service_code, category.name_ko, category.name_en {_PUBLIC_FROM}"
)
_PUBLIC_COUNT = f"SELECT count(*) {_PUBLIC_FROM}"  # noqa: S608 - the models' tables


def _statuses_of(status: str) -> list[str]:
    """The Report.Status values a public map filter names ("" = all)."""
    if status == "open":
        return list(Report.OPEN_STATUSES)
    if status == "closed":
        return list(Report.CLOSED_STATUSES)
    return [status] if status else list(Report.Status.values)


def map_clusters(
    *,
    level: int,
    cells: tuple[int, int, int, int] | None = None,
    service_code: str = "",
    status: str = "",
) -> list[tuple[int, int, int, float, float]]:
    """(x, y, count, mean lat, mean long) of the non-empty cells of `level` within `cells`
    (min_x, min_y, max_x, max_y; None: all), counting the reports the filters keep (as
    `reports_public`). Reads `MapCell` only: its cost grows with the cells, not the reports."""
    sql = [
        "SELECT x, y, sum(count)::integer, sum(lat_sum) / sum(count), sum(long_sum) / sum(count)",
        "FROM safety_mapcell WHERE level = %s AND status = ANY(%s)",
    ]
    params: list[Any] = [level, _statuses_of(status)]
    if cells is not None:
        sql.append("AND x BETWEEN %s AND %s AND y BETWEEN %s AND %s")
        params += [cells[0], cells[2], cells[1], cells[3]]
    if service_code:
        sql.append("AND category_id = (SELECT id FROM safety_category WHERE service_code = %s)")
        params.append(service_code)
    sql.append("GROUP BY x, y HAVING sum(count) > 0 ORDER BY x, y")
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        return cursor.fetchall()


@dataclass(frozen=True)
class MapView:
    """What the public map draws for one viewport: `points` (the reports, as
    `reports_for_map`) when the viewport's cells hold few reports,
    else `clusters` (`map_clusters` rows at `level`)."""

    level: int
    clusters: list[tuple[int, int, int, float, float]]
    points: list[dict]

    @property
    def is_clustered(self) -> bool:
        return bool(self.clusters)


def map_view(
    *,
    bbox: tuple[float, float, float, float] | None = None,
    service_code: str = "",
    status: str = "",
) -> MapView:
    """The public map of a viewport (bbox as `reports_for_map`): one query on the cell counts,
    and one on the reports only when they are few enough to be sent as points (at most
    `SAFETY_MAP_POINTS_MAX`, default map_grid.POINTS_MAX, in the viewport's cells)."""
    level, cells = map_grid.viewport(bbox, geo.busan_bounds())
    clusters = map_clusters(level=level, cells=cells, service_code=service_code, status=status)
    points_max = int(getattr(settings, "SAFETY_MAP_POINTS_MAX", map_grid.POINTS_MAX))
    if sum(cluster[2] for cluster in clusters) > points_max:
        return MapView(level=level, clusters=clusters, points=[])
    if not clusters:
        return MapView(level=level, clusters=[], points=[])
    points = reports_for_map(bbox=bbox, service_code=service_code, status=status)
    return MapView(level=level, clusters=[], points=points)


def reports_open311(
    *,
    service_request_ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
    limit: int = 1000,
) -> list[Report]:
    """GET requests: ids override every other filter; otherwise the spec's defaults apply
    (the last 90 days when no dates are given, at most 1000 requests)."""
    reports = Report.objects.select_related("category__department").prefetch_related("photos")
    if service_request_ids:
        return list(reports.filter(public_id__in=service_request_ids).order_by("-created_at"))
    if service_codes:
        reports = reports.filter(category__service_code__in=service_codes)
    if start is None and end is None:
        end = timezone.now()
        start = end - timedelta(days=90)
    elif start is None:
        start = end - timedelta(days=90)
    elif end is None:
        end = start + timedelta(days=90)
    reports = reports.filter(created_at__gte=start, created_at__lte=end)
    if statuses:
        condition = Q()
        if "open" in statuses:
            condition |= Q(status__in=Report.OPEN_STATUSES)
        if "closed" in statuses:
            condition |= Q(status__in=Report.CLOSED_STATUSES)
        reports = reports.filter(condition)
    return list(reports.order_by("-created_at")[:limit])


def reports_of_user(*, user) -> QuerySet[Report]:
    return Report.objects.filter(reporter=user).select_related("category").order_by("-created_at")


def report_timeline(*, report: Report) -> QuerySet[ReportUpdate]:
    return report.updates.order_by("version")


def reports_overdue(reports: QuerySet[Report] | None = None) -> QuerySet[Report]:
    reports = Report.objects.all() if reports is None else reports
    return reports.filter(status__in=Report.OPEN_STATUSES, due_at__lt=timezone.now())


def triage_dashboard(*, reports: QuerySet[Report] | None = None) -> dict:
    """Open reports by category and district, median hours to resolve, overdue count."""
    reports = Report.objects.all() if reports is None else reports
    open_reports = reports.filter(status__in=Report.OPEN_STATUSES)
    by_category = list(
        open_reports.values("category__service_code", "category__name_ko", "category__name_en")
        .annotate(count=Count("pk"))
        .order_by("-count", "category__service_code")
    )
    by_district = list(
        open_reports.values("district").annotate(count=Count("pk")).order_by("-count", "district")
    )
    durations = [
        (closed_at - created_at).total_seconds() / 3600
        for created_at, closed_at in reports.filter(
            status=Report.Status.RESOLVED, closed_at__isnull=False
        ).values_list("created_at", "closed_at")
    ]
    return {
        "open_by_category": by_category,
        "open_by_district": by_district,
        "median_hours_to_resolve": round(statistics.median(durations), 1) if durations else None,
        "resolved_count": len(durations),
        "overdue_count": reports_overdue(reports).count(),
        "open_count": open_reports.count(),
    }


@dataclass(frozen=True)
class ReportLine:
    """A report as the /me/ panel lists it."""

    public_id: Any
    status: str
    name_ko: str
    name_en: str

    @property
    def category_name(self) -> str:  # as Category.name
        return self.name_en if translation.get_language() == "en" else self.name_ko

    def get_status_display(self) -> str:
        return str(Report.Status(self.status).label)

    def get_absolute_url(self) -> str:
        return reverse("safety:report-detail", kwargs={"public_id": self.public_id})


_REPORT_LINES = PreparedStatement(
    "safety_report_lines",
    "SELECT report.public_id, report.status, category.name_ko, category.name_en "  # noqa: S608
    f"FROM {Report._meta.db_table} AS report "
    f"JOIN {Category._meta.db_table} AS category ON category.id = report.category_id "
    "WHERE report.reporter_id = %(reporter)s ORDER BY report.created_at DESC LIMIT %(limit)s",
    params=[("reporter", "bigint"), ("limit", "integer")],
)


def report_lines_of_user(*, user, limit: int) -> list[ReportLine]:
    """The user's newest reports for the /me/ panel (`reports_of_user`'s order), in a prepared
    statement of the four columns it shows: no ORM query to build, no report rows to load."""
    with connection.cursor() as cursor:
        rows = _REPORT_LINES.execute(cursor, reporter=user.pk, limit=limit)
    return [ReportLine(*row) for row in rows]
