"""Settlement reports for merchants and staff (CSV and XLSX of one settlement's lines), and a
citizen's own wallet history as CSV."""

from busanhub.spreadsheet import rows_to_csv, rows_to_xlsx

from . import selectors
from .models import Settlement, Wallet

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


HISTORY_HEADER = [
    "time",
    "business_date",
    "entry",
    "description",
    "account",
    "amount_krw",
    "digest",
]


def wallet_history_csv(*, wallet: Wallet | None) -> str:
    """Every posting of the wallet (only this wallet's: the caller passes the requester's),
    newest first; amounts in whole won, signed; cashback rows named as cashback."""
    rows = (
        [
            posting.transaction.created_at.isoformat(),
            posting.transaction.business_date,
            selectors.posting_entry(posting),
            selectors.posting_label(posting),
            posting.account.kind,
            posting.amount,
            posting.transaction.digest or "",
        ]
        for posting in selectors.wallet_history(wallet=wallet).iterator(chunk_size=500)
    )
    return rows_to_csv(HISTORY_HEADER, rows)
