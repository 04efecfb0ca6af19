"""The one interface between BusanHub and a bank: KRW in (top-ups, deposits) and out
(settlements, withdrawals). Vouchers and the exchange both use it; neither copies it.

A real gateway (a Korean bank's open-banking API, a PG) implements `BankGateway` and is named
by the setting BANK_GATEWAY (dotted path); the project ships `SandboxGateway`, which records
transfers in its own table and can be told to decline or time out, for dev and tests.

Contract of every implementation:
- amounts are positive integers in KRW (no minor unit);
- `idempotency_key` makes a retried call return the first call's transfer, never a second one;
- `BankDeclined` is final (insufficient funds, closed account...): do not retry;
- `BankUnavailable` is transient (timeout, maintenance): the outcome is unknown, so the caller
  retries with the SAME idempotency key, or asks `transfer_status` later.
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class BankError(Exception):
    pass


class BankDeclined(BankError):
    """The bank refused the transfer; final."""


class BankUnavailable(BankError):
    """The bank did not answer in time or is down; the outcome is unknown, retry later."""


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    direction: str  # "in" (from the customer's account to ours) or "out"
    account_ref: str
    amount: int
    reference: str
    status: str  # "completed" or "declined"


class BankGateway(Protocol):
    def transfer_in(
        self, *, account_ref: str, amount: int, reference: str, idempotency_key: str
    ) -> Transfer:
        """Pulls `amount` from the customer's linked account into the operator's account."""

    def transfer_out(
        self, *, account_ref: str, amount: int, reference: str, idempotency_key: str
    ) -> Transfer:
        """Pays `amount` from the operator's account into the customer's or merchant's."""

    def transfer_status(self, *, idempotency_key: str) -> Transfer | None:
        """The transfer made with this key, or None if the bank never took it."""


def gateway() -> BankGateway:
    """The configured gateway (BANK_GATEWAY), instantiated per call: gateways keep no state."""
    return import_string(settings.BANK_GATEWAY)()
