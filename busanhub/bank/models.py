from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SandboxTransfer(models.Model):
    """A transfer the sandbox bank made: the sandbox's own ledger, for dev and tests."""

    class Direction(models.TextChoices):
        IN = "in", _("in")
        OUT = "out", _("out")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("completed")
        DECLINED = "declined", _("declined")

    transfer_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    account_ref = models.CharField(max_length=64)
    amount = models.PositiveBigIntegerField()
    reference = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox bank transfer")
        verbose_name_plural = _("sandbox bank transfers")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_sandbox_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.direction} {self.amount} KRW ({self.status})"


class SandboxFault(models.Model):
    """Tells the sandbox to decline or time out the next calls (tests, demos of failures)."""

    class Kind(models.TextChoices):
        DECLINE = "decline", _("decline")
        TIMEOUT = "timeout", _("time out before the bank records it")
        TIMEOUT_AFTER = "timeout_after", _("time out after the bank records it")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    account_ref = models.CharField(
        max_length=64, blank=True, help_text=_("only for this account; empty: any account")
    )
    remaining = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sandbox fault")
        verbose_name_plural = _("sandbox faults")

    def __str__(self) -> str:
        return f"{self.kind} x{self.remaining} {self.account_ref or '*'}"
