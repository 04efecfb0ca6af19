"""SandboxGateway: a bank that records transfers in its own table (dev, tests, demos).

It keeps the idempotency contract of a real bank and can be told, with `sandbox_fault_add`,
to decline or to time out (before or after it records the transfer, the two cases a client
must handle differently: after a timeout the outcome is unknown).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F

from busanhub.bank.gateway import BankDeclined, BankUnavailable, Transfer
from busanhub.bank.models import SandboxFault, SandboxTransfer


def sandbox_fault_add(*, kind: str, account_ref: str = "", times: int = 1) -> SandboxFault:
    """Makes the next `times` calls (for `account_ref`, or any) fail as `kind`."""
    return SandboxFault.objects.create(kind=kind, account_ref=account_ref, remaining=times)


def _take_fault(account_ref: str) -> str | None:
    fault = (
        SandboxFault.objects.select_for_update()
        .filter(remaining__gt=0, account_ref__in=["", account_ref])
        .order_by("pk")
        .first()
    )
    if fault is None:
        return None
    SandboxFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
    return fault.kind


def _as_transfer(row: SandboxTransfer) -> Transfer:
    return Transfer(
        transfer_id=row.transfer_id,
        direction=row.direction,
        account_ref=row.account_ref,
        amount=row.amount,
        reference=row.reference,
        status=row.status,
    )


class SandboxGateway:
    def __init__(self):
        # Production names a real bank (busanhub.settings.prod); if the sandbox is reached
        # anyway (an alias, a subclass, a stray import) it refuses to move pretend money.
        if not getattr(settings, "BANK_SANDBOX_ALLOWED", False):
            raise ImproperlyConfigured("the sandbox bank is not allowed here (production)")

    def _transfer(self, *, direction, account_ref, amount, reference, idempotency_key):
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise BankDeclined("amount must be a positive integer of KRW")
        if not account_ref:
            raise BankDeclined("no account")
        existing = SandboxTransfer.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if (existing.direction, existing.account_ref, existing.amount) != (
                direction,
                account_ref,
                amount,
            ):
                raise BankDeclined("idempotency key reused for another transfer")
            return self._answer(existing)
        with transaction.atomic():
            fault = _take_fault(account_ref)
        if fault == SandboxFault.Kind.TIMEOUT:
            raise BankUnavailable("sandbox bank timed out (nothing recorded)")
        status = (
            SandboxTransfer.Status.DECLINED
            if fault == SandboxFault.Kind.DECLINE
            else SandboxTransfer.Status.COMPLETED
        )
        try:
            with transaction.atomic():
                row = SandboxTransfer.objects.create(
                    transfer_id=f"sbx_{uuid.uuid4().hex[:24]}",
                    idempotency_key=idempotency_key,
                    direction=direction,
                    account_ref=account_ref,
                    amount=amount,
                    reference=reference[:200],
                    status=status,
                )
        except IntegrityError:  # the same key, concurrently: answer as the first call
            row = SandboxTransfer.objects.get(idempotency_key=idempotency_key)
        if fault == SandboxFault.Kind.TIMEOUT_AFTER:
            raise BankUnavailable("sandbox bank timed out (the transfer was recorded)")
        return self._answer(row)

    @staticmethod
    def _answer(row: SandboxTransfer) -> Transfer:
        if row.status == SandboxTransfer.Status.DECLINED:
            raise BankDeclined(f"declined by the bank ({row.transfer_id})")
        return _as_transfer(row)

    def transfer_in(self, *, account_ref, amount, reference, idempotency_key) -> Transfer:
        return self._transfer(
            direction="in",
            account_ref=account_ref,
            amount=amount,
            reference=reference,
            idempotency_key=idempotency_key,
        )

    def transfer_out(self, *, account_ref, amount, reference, idempotency_key) -> Transfer:
        return self._transfer(
            direction="out",
            account_ref=account_ref,
            amount=amount,
            reference=reference,
            idempotency_key=idempotency_key,
        )

    def transfer_status(self, *, idempotency_key) -> Transfer | None:
        row = SandboxTransfer.objects.filter(idempotency_key=idempotency_key).first()
        return _as_transfer(row) if row else None
