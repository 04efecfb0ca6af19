"""Periodic anchoring tasks (queue `anchoring`, scheduled by django-celery-beat).

Each takes no arguments, reads its work from the database and is safe to run twice or
concurrently. Node and network failures retry with exponential backoff; nothing is lost
meanwhile because every state lives in the database.
"""

import logging

from celery import shared_task

from busanhub.chain import node, services

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "bind": True,
    "autoretry_for": node.TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "soft_time_limit": 120,
    "time_limit": 180,
    "ignore_result": True,
}


@shared_task(**TASK_OPTIONS)
def seal_pending(self) -> int:
    return len(services.batches_seal_all())


@shared_task(**TASK_OPTIONS)
def submit_sealed(self) -> int:
    try:
        sent = services.batches_submit()
    except node.NotDeployed as exc:  # final: an operator must deploy; beat tries again later
        logger.error("%s", exc)
        return 0
    services.batches_replace_stuck()
    return len(sent)


@shared_task(**TASK_OPTIONS)
def confirm_submitted(self) -> int:
    services.batches_recheck()
    return len(services.batches_confirm())
