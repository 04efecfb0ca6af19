"""Celery tasks of the exchange. Each takes primary keys or nothing, reads its work from the
database and is safe to run twice. Node errors retry with backoff; bad data is final."""

import logging

import requests
from celery import shared_task
from django.db import OperationalError, transaction
from web3.exceptions import ProviderConnectionError, TimeExhausted

from exchange import services
from exchange.models import ChainWithdrawal

logger = logging.getLogger(__name__)

TRANSIENT = (requests.RequestException, ProviderConnectionError, TimeExhausted, OSError)
OPTIONS = {
    "bind": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "soft_time_limit": 120,
    "time_limit": 180,
    "ignore_result": True,
}


@shared_task(**OPTIONS)
def scan_deposits(self) -> dict:
    """Periodic: credits confirmed deposits (idempotent: one credit per transfer)."""
    return services.deposits_scan()


@shared_task(**OPTIONS)
def send_withdrawal(self, withdrawal_pk: int) -> None:
    services.withdrawal_send(withdrawal_pk=withdrawal_pk)


@shared_task(**OPTIONS)
def send_approved_withdrawals(self) -> int:
    """Periodic: sends every approved withdrawal, replaces stuck ones with higher fees (same
    nonce), then settles the sent ones."""
    pks = list(
        ChainWithdrawal.objects.filter(status=ChainWithdrawal.Status.APPROVED).values_list(
            "pk", flat=True
        )
    )
    for pk in pks:
        services.withdrawal_send(withdrawal_pk=pk)
    services.withdrawals_replace_stuck()
    return services.withdrawals_confirm() + len(pks)


@shared_task(**OPTIONS)
def sweep_deposits(self) -> dict:
    """Periodic: moves credited deposits to the hot wallet (and the hot wallet's excess to the
    cold wallet). Idempotent: a signed sweep is only re-broadcast, never signed again."""
    return services.deposits_sweep()


@shared_task(**OPTIONS)
def settle_bank_transfers(self) -> int:
    """Periodic: asks the bank again about KRW transfers left pending by a timeout (same
    idempotency key, so a transfer the bank did take is booked once, never sent twice)."""
    from exchange.models import BankTransfer

    pending = BankTransfer.objects.filter(status=BankTransfer.Status.PENDING)
    return sum(
        services.bank_transfer_settle(transfer=transfer).status != BankTransfer.Status.PENDING
        for transfer in pending
    )


@shared_task(**OPTIONS)
def snapshot_liabilities(self) -> str:
    """Daily: a proof-of-liabilities snapshot, anchored."""
    return str(services.liabilities_snapshot().public_id)


@shared_task(**OPTIONS)
def prune_traded_volume(self) -> int:
    """Daily: drops traded-volume rows that no cap or fee window reads any more."""
    from django.utils import timezone

    return services.volume_prune(now=timezone.now())


def withdrawal_enqueue(withdrawal: ChainWithdrawal) -> None:
    """Sends an approved withdrawal once the caller's transaction commits."""
    if withdrawal.status == ChainWithdrawal.Status.APPROVED:
        pk = withdrawal.pk
        transaction.on_commit(lambda: send_withdrawal.delay(pk))


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    max_retries=5,
    soft_time_limit=120,
    time_limit=180,
    ignore_result=True,
)
def match_market(self, market_pk: int) -> int:
    """Drains one market's order log (routed to the `matching` queue). Safe to run twice or
    at once: one consumer per market, and a taken request is never taken again."""
    return services.markets_match(market_pk=market_pk)


@shared_task(bind=True, ignore_result=True, soft_time_limit=120, time_limit=180)
def match_waiting_markets(self) -> int:
    """Periodic safety net: drains every market with requests still waiting (a lost wake-up,
    a worker that died mid-batch)."""
    from exchange.models import OrderRequest

    pks = set(OrderRequest.objects.filter(seq__isnull=True).values_list("market_id", flat=True))
    return sum(services.markets_match(market_pk=pk) for pk in sorted(pks))
