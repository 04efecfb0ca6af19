"""Every spreadsheet the portal hands out (CSV and XLSX) is written here, with inert text cells.

CSV/formula injection (OWASP "CSV Injection"): Excel, LibreOffice and Google Sheets read a cell
that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one of them) as a
formula, so a product called `=HYPERLINK("http://x","y")` in a recall export becomes a live
link. The invariant: a *text* cell that starts with one of those characters is written with a
leading single quote; numbers (int, Decimal, float) are written as numbers, negative ones too,
so sums still work; in XLSX every text cell is typed as a string, never as a formula or an error
code. Exports build rows of plain Python values and call `rows_to_csv` / `rows_to_xlsx` (or the
`*_response` pair in a view); none writes cells itself.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.http import HttpResponse

# OWASP's list, plus line feed: some importers drop a leading newline and read what follows.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal | None


def text_escape(text: str) -> str:
    """`text` as a spreadsheet shows it as text: quoted with `'` when it would start a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_value(value: object) -> Cell:
    """The value to write for `value`: numbers as they are, None as an empty cell, dates and
    times in ISO 8601, anything else as escaped text (booleans too: TRUE is not ours)."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    if isinstance(value, date | datetime | time):
        return value.isoformat()  # XLSX has no time zones; the text keeps the offset
    return text_escape(str(value))


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"  # never 1E+1
    return str(value)


def rows_to_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 CSV (CRLF line ends) of the header and rows, every cell through `cell_value`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [header, *rows]:
        writer.writerow([_csv_text(cell_value(value)) for value in row])
    return out.getvalue()


def rows_to_xlsx(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    title: str = "Sheet",
    is_filtered: bool = False,
) -> bytes:
    """An XLSX workbook of one sheet: the header (frozen, with an auto-filter when
    `is_filtered`) and the rows; text cells are typed as strings, so none is a formula."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]  # Excel's limit on a sheet name
    for row in [header, *rows]:
        sheet.append([cell_value(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # openpyxl types "=..." as a formula and "#N/A" as an error: text is text.
                cell.data_type = "s"
    if is_filtered:
        sheet.auto_filter.ref = sheet.dimensions
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _attachment(content: str | bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(content: str | bytes, *, filename: str) -> HttpResponse:
    """A download of CSV text written by `rows_to_csv`."""
    return _attachment(content, content_type=CSV_CONTENT_TYPE, filename=filename)


def xlsx_response(content: bytes, *, filename: str) -> HttpResponse:
    """A download of a workbook written by `rows_to_xlsx`."""
    return _attachment(content, content_type=XLSX_CONTENT_TYPE, filename=filename)
