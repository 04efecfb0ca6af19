"""A citizen's own safety reports as CSV (written by busanhub.spreadsheet: a description that
starts like a formula stays text). The caller passes the requester; no other reporter's rows."""

from busanhub.spreadsheet import rows_to_csv

from . import selectors

HEADER = [
    "submitted", "report", "service_code", "category", "status", "address", "district",
    "latitude", "longitude", "description", "closed", "digest",
]  # fmt: skip


def my_reports_csv(*, user) -> str:
    rows = (
        [
            report.created_at.isoformat(),
            str(report.public_id),
            report.category.service_code,
            report.category.name,
            report.status,
            report.address,
            report.district,
            report.lat,
            report.long,
            report.description,
            report.closed_at.isoformat() if report.closed_at else None,
            report.digest,
        ]
        for report in selectors.reports_of_user(user=user).iterator(chunk_size=500)
    )
    return rows_to_csv(HEADER, rows)
