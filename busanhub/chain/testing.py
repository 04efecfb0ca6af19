"""Helpers for the tests of every app that anchors records (imported by tests only)."""

import time

from busanhub.chain import services
from busanhub.chain.models import AnchorBatch


def confirm_all(timeout: float = 10) -> list[AnchorBatch]:
    """Confirms every submitted batch. Anvil mines a sent transaction a moment after taking
    it, so a confirmation straight after sending may find no receipt yet: retry briefly."""
    deadline = time.monotonic() + timeout
    confirmed = services.batches_confirm()
    while AnchorBatch.objects.filter(status=AnchorBatch.Status.SUBMITTED).exists():
        assert time.monotonic() < deadline, "batches not confirmed in time"
        time.sleep(0.05)
        confirmed += services.batches_confirm()
    return confirmed


def anchor_pending(timeout: float = 10) -> list[AnchorBatch]:
    """Seals, submits and confirms everything pending (with CHAIN_CONFIRMATIONS=1)."""
    services.batches_seal_all()
    services.batches_submit()
    return confirm_all(timeout)


def anchored_records(n: int = 3, *, public: bool = True, kind: str = "test.record") -> list:
    """n records (refs r0…), sealed into one batch and confirmed on chain; their leaves."""
    leaves = [
        services.anchor_record(kind=kind, ref=f"r{i}", version=1, data={"i": i}, public=public)
        for i in range(n)
    ]
    anchor_pending()
    return leaves
