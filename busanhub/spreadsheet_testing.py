"""What tests of an export feed it and read back: cells that would start a formula."""

import csv
import io

# OWASP's formula starters, each as a spreadsheet would run it.
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"]


def csv_rows(content: str | bytes) -> list[list[str]]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_cells(content: bytes) -> list[list]:
    """Every row of the first sheet as openpyxl cells (value and data_type)."""
    from openpyxl import load_workbook

    return [list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows()]
