"""A taught course's gradebook, on the page and as CSV."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from busanhub import spreadsheet
from education import selectors

from .teaching import taught_course


@login_required
@require_GET
def gradebook(request, public_id):
    course = taught_course(request, public_id)
    columns, rows = selectors.gradebook(course=course)
    return render(
        request, "education/gradebook.html", {"course": course, "columns": columns, "rows": rows}
    )


def gradebook_table(columns, rows) -> tuple[list, list[list]]:
    """The gradebook as a header and rows of plain values (scores stay numbers)."""
    header = [
        "email",
        "name",
        "status",
        "readings_done",
        *[f"{lesson.title} ({lesson.kind})" for lesson in columns],
        "certificate",
    ]
    table = []
    for row in rows:
        cells = [
            cell["score"] if "score" in cell else ("passed" if cell["passed"] else "")
            for cell in row["cells"]
        ]
        table.append(
            [
                row["student"].email,
                row["student"].name,
                row["enrollment"].status,
                row["readings"],
                *cells,
                row["certificate"],
            ]
        )
    return header, table


@login_required
@require_GET
def gradebook_csv(request, public_id):
    course = taught_course(request, public_id)
    header, table = gradebook_table(*selectors.gradebook(course=course))
    return spreadsheet.csv_response(
        spreadsheet.rows_to_csv(header, table), filename=f"gradebook-{course.code}.csv"
    )
