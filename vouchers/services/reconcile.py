"""Top-ups left pending by a bank that did not answer, reconciled against the bank.

A pending top-up has already been counted against the caps; the bank may or may not have
moved the money. Reconciling asks the bank about the top-up's own idempotency key first, so
the money is never pulled twice: a transfer the bank made is credited, a declined one is
marked declined, and one the bank never took is asked for again (same key) while the
citizen's request is fresh, or given up (declined) after `GIVE_UP_AFTER`.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.bank.gateway import BankUnavailable, gateway
from vouchers.models import TopUp

from .core import refuse
from .topups import topup_settle

GIVE_UP_AFTER = timedelta(hours=24)
RECONCILE_AFTER = timedelta(minutes=5)  # younger ones are still in the hands of their task


@transaction.atomic
def _topup_give_up(*, topup_pk: int) -> TopUp:
    topup = TopUp.objects.select_for_update().get(pk=topup_pk)
    if topup.status == TopUp.Status.PENDING:
        topup.status = TopUp.Status.DECLINED
        topup.save(update_fields=["status"])
    return topup


def topup_reconcile(*, topup_pk: int, now: datetime | None = None) -> TopUp:
    """Settles or fails one pending top-up against the bank (see the module). Idempotent: a
    settled top-up is returned as it is. Raises BankUnavailable if the bank still does not
    answer (the top-up stays pending)."""
    topup = TopUp.objects.get(pk=topup_pk)
    if topup.status != TopUp.Status.PENDING:
        return topup
    transfer = gateway().transfer_status(idempotency_key=topup.bank_idempotency_key)
    if transfer is None and topup.created_at + GIVE_UP_AFTER < (now or timezone.now()):
        return _topup_give_up(topup_pk=topup_pk)
    # The transfer the bank made (or declined) is answered again for the same key; a transfer
    # it never took is asked for once more with that key.
    return topup_settle(topup_pk=topup_pk)


def topup_reconcile_by_staff(*, topup: TopUp, reason: str = "", by=None) -> TopUp:
    """`topup_reconcile` from the admin: a bank still silent is a refusal naming `topup`."""
    try:
        return topup_reconcile(topup_pk=topup.pk)
    except BankUnavailable as exc:
        raise refuse("topup", _("The bank still does not answer; try again later.")) from exc


def topups_reconcile_pending(*, now: datetime | None = None) -> dict[str, int]:
    """Reconciles every top-up pending for more than `RECONCILE_AFTER`; counts the outcomes
    by status ("pending" for those the bank still does not answer about)."""
    now = now or timezone.now()
    counts = dict.fromkeys(TopUp.Status.values, 0)
    pending = TopUp.objects.filter(
        status=TopUp.Status.PENDING, created_at__lt=now - RECONCILE_AFTER
    ).order_by("pk")
    for pk in pending.values_list("pk", flat=True):
        try:
            counts[topup_reconcile(topup_pk=pk, now=now).status] += 1
        except BankUnavailable:
            counts[TopUp.Status.PENDING] += 1
    return counts
