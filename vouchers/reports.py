"""Settlement reports for merchants and staff: CSV and XLSX of one settlement's lines."""

from busanhub.spreadsheet import rows_to_csv, rows_to_xlsx

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
    return rows_to_csv(HEADER, _rows(settlement))


def settlement_xlsx(*, settlement: Settlement) -> bytes:
    return rows_to_xlsx(HEADER, _rows(settlement), title=settlement.business_date.isoformat())
