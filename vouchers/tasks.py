"""Celery tasks of the vouchers app: take primary keys or dates, call services, idempotent."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from busanhub.bank.gateway import BankUnavailable

from . import services
from .models import Settlement


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(BankUnavailable,),
    retry_backoff=30,
    max_retries=20,
    soft_time_limit=60,
    time_limit=90,
)
def topup_settle_task(self, topup_pk: int) -> str:
    """Asks the bank again about a pending top-up (same idempotency key); a re-run is a no-op."""
    return services.topup_settle(topup_pk=topup_pk).status


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(BankUnavailable,),
    retry_backoff=60,
    max_retries=20,
    soft_time_limit=60,
    time_limit=90,
)
def settlement_pay_task(self, settlement_pk: int) -> str:
    return services.settlement_pay(settlement_pk=settlement_pk).status


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=900)
def settle_previous_day(business_date: str | None = None) -> int:
    """T+1: settles every merchant for the previous business day (or the given ISO date),
    closes that day's journal, and queues the payouts. Idempotent."""
    day = (
        date.fromisoformat(business_date)
        if business_date
        else timezone.localdate() - timedelta(days=1)
    )
    settlements = services.settlements_run(business_date=day)
    services.day_close(business_date=day)
    pending = Settlement.objects.filter(status=Settlement.Status.PENDING).values_list(
        "pk", flat=True
    )
    for pk in pending:
        settlement_pay_task.delay(pk)
    return len(settlements)


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=600)
def reclaim_expired_grants() -> int:
    return services.grants_reclaim_expired()


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=600)
def topups_reconcile() -> dict:
    """Every 10 minutes: settles or fails the top-ups the bank left pending (see
    `services.topups_reconcile_pending`); idempotent, a bank still silent is asked next time."""
    return services.topups_reconcile_pending()


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=600)
def gifts_deliver_pending() -> dict:
    """Every 10 minutes: delivers held gifts whose recipient can now receive them, returns
    expired ones to their senders (see `services.gifts_deliver_pending`); idempotent."""
    return services.gifts_deliver_pending()
