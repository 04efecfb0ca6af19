import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from busanhub.i18n import LocalizedName
from identity import credential_types
from identity.labels import TYPE_LABELS


class IssuerKey(LocalizedName, models.Model):
    """An issuer's did:web identity and its Ed25519 key (private part encrypted at rest).

    `name` is the English name the credentials carry (`issuer.name`); pages show
    `localized_name` (busanhub.i18n)."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    did = models.CharField(_("DID"), max_length=300, unique=True)
    public_key_multibase = models.CharField(_("public key (Multikey)"), max_length=100)
    private_key_encrypted = models.TextField(_("private key (encrypted)"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("issuer key")
        verbose_name_plural = _("issuer keys")
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.localized_name} ({self.did})"

    @property
    def verification_method(self) -> str:
        return f"{self.did}#key-1"


class Wallet(models.Model):
    """A citizen's did:key; the private key is encrypted at rest and used only for its owner."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bpass_wallet"
    )
    did = models.CharField(_("DID"), max_length=120, unique=True)
    private_key_encrypted = models.TextField(_("private key (encrypted)"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self) -> str:
        return self.did


class StatusList(models.Model):
    """One Bitstring Status List (revocation or suspension) of an issuer.

    An issuer's lists are numbered: list n of each purpose share their indexes (a credential
    has an entry in both), and when list n has no free index the next issue opens list n + 1.
    `capacity` is how many indexes issuing hands out (0 to capacity - 1), never more than
    `length`, the bitstring's size (at least the specification's 131,072)."""

    class Purpose(models.TextChoices):
        REVOCATION = "revocation", _("revocation")
        SUSPENSION = "suspension", _("suspension")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    issuer = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    number = models.PositiveIntegerField(_("list number"), default=1)
    length = models.PositiveIntegerField(_("length (entries)"), default=131_072)
    capacity = models.PositiveIntegerField(_("capacity (entries issued)"), default=131_072)
    bits = models.BinaryField(_("bitstring"))
    version = models.PositiveIntegerField(pgettext_lazy("record", "version"), default=1)
    credential = models.JSONField(_("signed status list credential"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "purpose", "number"], name="identity_one_list_per_number"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1)
                & models.Q(capacity__gte=1)
                & models.Q(capacity__lte=models.F("length")),
                name="identity_status_list_capacity_within_length",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Credential(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="credentials")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bpass_credentials",
    )
    subject_did = models.CharField(_("subject DID"), max_length=300, blank=True)
    credential_type = models.CharField(_("type"), max_length=100, db_index=True)
    claims = models.JSONField(_("claims"), default=dict, blank=True)
    document = models.JSONField(_("signed credential"))
    cryptosuite = models.CharField(_("cryptosuite"), max_length=32)
    digest = models.CharField(_("digest"), max_length=66, unique=True)
    status_list_number = models.PositiveIntegerField(_("status list number"), null=True, blank=True)
    status_index = models.PositiveIntegerField(_("status list index"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    status_reason = models.CharField(_("status reason"), max_length=500, blank=True)
    version = models.PositiveIntegerField(pgettext_lazy("record", "version"), default=1)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "status_list_number", "status_index"],
                name="identity_unique_status_entry",
            ),
            models.CheckConstraint(
                condition=models.Q(status_list_number__isnull=True, status_index__isnull=True)
                | models.Q(status_list_number__isnull=False, status_index__isnull=False),
                name="identity_status_entry_complete",
            ),
        ]
        indexes = [models.Index(fields=["holder", "credential_type", "status"])]

    def __str__(self) -> str:
        return f"{TYPE_LABELS.get(self.credential_type, self.credential_type)} {self.public_id}"


class StatusChange(models.Model):
    """Audit trail of revocations, suspensions and reinstatements."""

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(_("new status"), max_length=16, choices=Credential.Status.choices)
    reason = models.CharField(_("reason"), max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.credential} → {self.status}"


class CredentialApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bpass_applications"
    )
    credential_type = models.CharField(
        _("credential type"),
        max_length=100,
        choices=[(t, TYPE_LABELS[t]) for t in credential_types.TYPES],
    )
    claims = models.JSONField(_("claims"), default=dict, blank=True)
    evidence_details = models.JSONField(
        _("evidence"),
        default=dict,
        blank=True,
        help_text=_("The document and facts the applicant gave staff to check."),
    )
    evidence = models.TextField(_("note for staff"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decision_reason = models.CharField(_("decision reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    credential = models.OneToOneField(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credential application")
        verbose_name_plural = _("credential applications")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_credential_type_display()} — {self.applicant}"


REQUEST_LIFETIME = timedelta(minutes=10)


def request_expiry():
    return timezone.now() + REQUEST_LIFETIME


class PresentationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the holder")
        VERIFIED = "verified", pgettext_lazy("presentation", "verified")
        FAILED = "failed", _("not verified")
        DECLINED = "declined", _("declined by the holder")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bpass_requests"
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    credential_types = models.JSONField(_("credential types"), default=list)
    claims = models.JSONField(_("claims wanted"), default=list, blank=True)
    challenge = models.CharField(_("challenge"), max_length=100, unique=True)
    domain = models.CharField(_("domain"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    result = models.JSONField(_("result"), default=dict, blank=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(
        pgettext_lazy("request", "expires at"), default=request_expiry
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("presentation request")
        verbose_name_plural = _("presentation requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.public_id})"

    @property
    def is_expired(self) -> bool:
        """Still unanswered after its deadline (an answered request keeps its answer)."""
        return self.status == self.Status.PENDING and self.expires_at <= timezone.now()


CHALLENGE_LIFETIME = timedelta(minutes=10)


def challenge_expiry():
    return timezone.now() + CHALLENGE_LIFETIME


class Challenge(models.Model):
    """A challenge B Pass issued (POST /vc-api/challenges or a presentation request): a
    verified presentation uses it up, and it expires. Challenges B Pass never issued are not
    stored: they are only matched against the proof."""

    challenge = models.CharField(_("challenge"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), default=challenge_expiry)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")

    def __str__(self) -> str:
        return self.challenge

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ConsentReceipt(models.Model):
    """What a holder agreed (or refused) to share with a verifier; its digest is anchored."""

    class Decision(models.TextChoices):
        CONSENTED = "consented", _("consented")
        DECLINED = "declined", _("declined")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        PresentationRequest, on_delete=models.CASCADE, related_name="consents"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bpass_consents"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    shared = models.JSONField(_("shared"), default=dict, blank=True)
    digest = models.CharField(_("digest"), max_length=66)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent receipt")
        verbose_name_plural = _("consent receipts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["request"], name="identity_one_consent_per_request")
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.public_id}"
