import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class LinkStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Waiting for the code")
    VERIFIED = "verified", pgettext_lazy("bank account", "Verified")
    FAILED = "failed", _("Verification failed")


class BankLink(models.Model):
    """A person's own bank account, proven with a 1-KRW code (`busanhub.bank.links`): the only
    account KRW is pulled from (voucher top-ups, exchange deposits) or paid to (exchange
    withdrawals). `account_ref` is the gateway's `<bank code>-<10 to 14 digits>`."""

    Status = LinkStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bank_links"
    )
    account_ref = models.CharField(_("bank account"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    # Verification: a 1-KRW transfer whose memo carries a code the owner types back. Only
    # verified links that are not removed can move money.
    bank_code = models.CharField(_("bank"), max_length=3, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNVERIFIED
    )
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    verifications_sent = models.PositiveSmallIntegerField(default=0)
    verification_transfer_id = models.CharField(max_length=64, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("linked bank account")
        verbose_name_plural = _("linked bank accounts")
        constraints = [
            # The name it had in vouchers, where the table was created (migration 0002).
            models.UniqueConstraint(fields=["user", "account_ref"], name="vouchers_banklink_unique")
        ]

    def __str__(self) -> str:
        return self.account_ref
