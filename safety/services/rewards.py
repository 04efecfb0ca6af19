"""Voucher points for citizens whose report was resolved (a valid report)."""

from django.conf import settings

from safety.models import Report
from vouchers import services as vouchers_services

REWARD_SOURCE = "safety.report"


def reward_policy() -> tuple[int, int]:
    """(KRW points per valid report, monthly cap per reporter), read when used."""
    return (
        int(getattr(settings, "SAFETY_REWARD_PER_REPORT", 1_000)),
        int(getattr(settings, "SAFETY_REWARD_MONTHLY_CAP", 10_000)),
    )


def reporter_reward(report: Report) -> int:
    """Credits the reporter's voucher wallet for a resolved (valid) report; returns the points
    credited. Nothing for anonymous reports, partner reports without a citizen account, or
    reports staff filed themselves. Idempotent on the report (vouchers' unique key)."""
    reporter = report.reporter
    amount, monthly_cap = reward_policy()
    if reporter is None or reporter.is_staff or not reporter.is_active or amount <= 0:
        return 0
    reward = vouchers_services.reward_credit(
        user=reporter,
        amount=amount,
        source=REWARD_SOURCE,
        reference=report.service_request_id,
        idempotency_key=f"{REWARD_SOURCE}:{report.public_id}",
        monthly_cap=monthly_cap,
    )
    return reward.amount
