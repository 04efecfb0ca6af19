"""Settlement reports for merchants and staff: CSV and XLSX of one settlement's lines."""

import csv
import io

from openpyxl import Workbook

from . import selectors
from .models import Settlement

HEADER = ["time", "type", "payment", "amount_krw", "digest"]


def _rows(settlement: Settlement) -> list[list]:
    rows = [
        [line["time"].isoformat(), line["type"], line["reference"], line["amount"], line["digest"]]
        for line in selectors.settlement_lines(settlement=settlement)
    ]
    rows.append(["", "total", "", settlement.amount, settlement.status])
    return rows


def settlement_csv(*, settlement: Settlement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(_rows(settlement))
    return out.getvalue()


def settlement_xlsx(*, settlement: Settlement) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{settlement.business_date.isoformat()}"
    sheet.append(HEADER)
    for row in _rows(settlement):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
