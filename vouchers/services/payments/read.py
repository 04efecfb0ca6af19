"""The payment's locking read: one prepared statement for everything a payment reads before
it writes."""

import uuid
from datetime import date, datetime
from typing import NamedTuple

from django.db import connection

from busanhub.db import PreparedStatement

from ..core import SQL_DIR, wallet_open
from ..merchants import merchant_payable

RESIDENT_CREDENTIAL = "BusanResidentCredential"


# One round trip for everything a payment reads before it writes (vouchers/sql/
# payment_lock.sql): it locks the payer's wallet row, then (ORDER BY before the lock: pk
# order) the wallet's cash, cashback and non-empty grant accounts, and reads the merchant with
# its account, the policy in force and whether the payer holds a valid
# BusanResidentCredential (identity's SQL function for the question,
# identity_credential_claims_valid). Rows locked FOR UPDATE come back in their newest
# committed version, so the freeze flag and the balances are the ones a concurrent freeze or
# payment left. Nothing of the merchant is locked: its account's balance is derived (see
# models.Account.DERIVED_KINDS).
# The statement is prepared once per connection: planning its joins costs several times what
# running it does. The accounts' kinds are tested in a CASE, which no index serves: written
# as `kind IN (...) OR ...`, a generic plan could AND the wallet's index with the partial
# per-kind unique indexes, whose scan reads every wallet's accounts.
class PaymentLockRow(NamedTuple):
    wallet_id: int
    wallet_is_frozen: bool
    wallet_frozen_reason: str
    account_id: int
    account_kind: str
    account_balance: int
    account_public_id: uuid.UUID
    cashback_month: date | None
    cashback_month_earned: int
    programme_valid_until: datetime | None
    programme_eligible_categories: str | list | None  # jsonb, as text (Django decodes JSON)
    merchant_id: int
    merchant_name: str
    merchant_status: str
    merchant_is_frozen: bool
    merchant_tier: str
    merchant_category: str
    merchant_owner_id: int
    merchant_account_id: int
    merchant_account_public_id: uuid.UUID
    policy_id: int
    policy_digest: str
    is_resident: bool


PAYMENT_LOCK = PreparedStatement(
    "vouchers_payment_lock",
    (SQL_DIR / "payment_lock.sql").read_text(),
    params=[
        ("user", "bigint"),
        ("code", "text"),
        ("credential_type", "text"),
        ("now", "timestamptz"),
    ],
    row=PaymentLockRow,
)


def payment_lock(payer, code: str, now: datetime) -> list[PaymentLockRow]:
    """The rows of vouchers_payment_lock; opens the wallet on first use. An unknown or unapproved
    merchant is refused (ValidationError naming `merchant`)."""
    for _attempt in range(2):
        with connection.cursor() as cursor:
            rows = PAYMENT_LOCK.execute(
                cursor, user=payer.pk, code=code, credential_type=RESIDENT_CREDENTIAL, now=now
            )
        if rows:
            return rows
        merchant_payable(code)  # refuses an unknown or unapproved merchant (no account yet)
        wallet_open(user=payer)  # else the wallet was missing
    raise RuntimeError("the wallet's accounts are missing")
