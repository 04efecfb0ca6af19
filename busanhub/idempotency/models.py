from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """Stripe-style `Idempotency-Key` of the money-moving API: one row per (user, scope, key).

    `scope` is the app that answered (e.g. "vouchers"), so two apps never share keys. The row is
    written before the request runs (`is_complete=False`) and completed with its response.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("scope"), max_length=40)
    key = models.CharField(_("key"), max_length=255)
    endpoint = models.CharField(_("endpoint"), max_length=255)
    request_hash = models.CharField(max_length=64)
    is_complete = models.BooleanField(_("complete"), default=False)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="idempotency_user_scope_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
