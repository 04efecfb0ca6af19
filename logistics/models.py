"""B-Fresh: master data (parties, locations, products, lots), EPCIS events, cold chain, recalls."""

import hashlib
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from busanhub.i18n import LocalizedName


class Party(LocalizedName, models.Model):
    """A company in the chain, identified by its party GLN (PGLN)."""

    class Kind(models.TextChoices):
        VESSEL_OPERATOR = "vessel", _("Vessel operator")
        AUCTION = "auction", _("Auction house")
        PROCESSOR = "processor", _("Processor")
        COLD_STORE = "cold_store", _("Cold store")
        CARRIER = "carrier", _("Carrier")
        RETAILER = "retailer", _("Retailer")
        AUTHORITY = "authority", _("Authority")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gln = models.CharField(_("GLN"), max_length=13, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="logistics_parties"
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    # Its SSCCs, GIAIs and GRAIs begin with it: capture refuses those of no registered party.
    company_prefix = models.CharField(
        _("GS1 company prefix"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{6,12}$", _("A GS1 company prefix has 6 to 12 digits."))],
    )
    # Deactivated instead of deleted: events keep naming it; new events may not.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company_prefix"],
                condition=~models.Q(company_prefix=""),
                name="logistics_party_company_prefix_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.localized_name} ({self.gln})"


class PartnerKey(models.Model):
    """An API key of a party's system; only its SHA-256 is stored."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")

    def __str__(self) -> str:
        return f"{self.party.name}: {self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class Location(LocalizedName, models.Model):
    """A place with a GLN: a vessel, landing site, auction hall, plant, cold store, truck, shop."""

    class Kind(models.TextChoices):
        VESSEL = "vessel", _("Vessel")
        LANDING_SITE = "landing", _("Landing site")
        AUCTION = "auction", _("Auction hall")
        PLANT = "plant", _("Processing plant")
        COLD_STORE = "cold_store", _("Cold store")
        TRUCK = "truck", _("Truck")
        SHOP = "shop", _("Shop")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gln = models.CharField(_("GLN"), max_length=13, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="locations")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.localized_name} ({self.gln})"


class Product(LocalizedName, models.Model):
    class StorageClass(models.TextChoices):
        CHILLED = "chilled", _("Chilled")
        FROZEN = "frozen", _("Frozen")
        LIVE = "live", _("Live")

    class Form(models.TextChoices):
        WHOLE = "whole", _("Whole fish")
        FILLET = "fillet", _("Fillet")
        GUTTED = "gutted", _("Gutted")
        LIVE = "live", _("Live")
        OTHER = "other", _("Other")

    gtin = models.CharField(_("GTIN"), max_length=14, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    species = models.CharField(_("species (scientific name)"), max_length=120, blank=True)
    product_form = models.CharField(_("product form"), max_length=20, choices=Form.choices)
    storage_class = models.CharField(
        _("storage class"), max_length=10, choices=StorageClass.choices
    )
    owner = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="products", null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.localized_name} ({self.gtin})"


class Lot(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("lot status", "Active")
        COMPROMISED = "compromised", _("Cold chain breached")
        RECALLED = "recalled", _("Recalled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_code = models.CharField(_("lot code"), max_length=20)
    identifier = models.CharField(_("Digital Link"), max_length=200, unique=True)
    trace_number = models.CharField(
        _("Korean seafood traceability number"), max_length=40, blank=True
    )
    ilmd = models.JSONField(_("catch data (ILMD)"), default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    is_consumed = models.BooleanField(_("consumed by a transformation"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_code"], name="logistics_lot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product.localized_name} {self.lot_code}"


class CaptureJob(models.Model):
    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        SUCCESS = "SUCCESS", _("Succeeded")
        FAILED = "FAILED", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    errors = models.JSONField(default=list, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("capture job")
        verbose_name_plural = _("capture jobs")

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"


class Event(models.Model):
    """One captured EPCIS event, stored as captured, with the columns queries need."""

    class Type(models.TextChoices):
        OBJECT = "ObjectEvent"
        AGGREGATION = "AggregationEvent"
        TRANSACTION = "TransactionEvent"
        TRANSFORMATION = "TransformationEvent"
        ASSOCIATION = "AssociationEvent"

    event_id = models.CharField(max_length=300, unique=True)
    event_hash = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=20, choices=Type.choices)
    action = models.CharField(max_length=10, blank=True)
    event_time = models.DateTimeField()
    record_time = models.DateTimeField(auto_now_add=True)
    biz_step = models.CharField(max_length=200, blank=True)
    disposition = models.CharField(max_length=200, blank=True)
    read_point = models.CharField(max_length=200, blank=True)
    biz_location = models.CharField(max_length=200, blank=True)
    data = models.JSONField()
    context = models.JSONField(default=list, blank=True)
    job = models.ForeignKey(CaptureJob, on_delete=models.PROTECT, related_name="events")
    parties = models.ManyToManyField(Party, blank=True, related_name="events")
    anchor_digest = models.CharField(max_length=66, blank=True)

    class Meta:
        verbose_name = _("EPCIS event")
        verbose_name_plural = _("EPCIS events")
        indexes = [
            models.Index(fields=["event_time"]),
            models.Index(fields=["record_time", "id"]),
            models.Index(fields=["biz_step"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_time:%Y-%m-%d %H:%M} {self.biz_step}"


class EventEPC(models.Model):
    """An identifier an event names, by role, in its Digital Link form (for MATCH_ queries)."""

    class Role(models.TextChoices):
        EPC = "epc"
        PARENT = "parent"
        CHILD = "child"
        INPUT = "input"
        OUTPUT = "output"
        QUANTITY = "quantity"
        CHILD_QUANTITY = "child_quantity"
        INPUT_QUANTITY = "input_quantity"
        OUTPUT_QUANTITY = "output_quantity"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="epcs")
    role = models.CharField(max_length=16, choices=Role.choices)
    identifier = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    uom = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [models.Index(fields=["identifier", "role"])]

    def __str__(self) -> str:
        return f"{self.role} {self.identifier}"


class Device(models.Model):
    """A data logger; its readings apply to whatever object it is attached to."""

    device_id = models.CharField(_("device ID"), max_length=200, unique=True)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="devices")
    attached_to = models.CharField(_("attached to (EPC or lot)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("data logger")
        verbose_name_plural = _("data loggers")

    def __str__(self) -> str:
        return self.device_id


class Reading(models.Model):
    """A temperature reading of a lot (from an EPCIS sensorElementList or a data logger)."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="readings")
    time = models.DateTimeField()
    celsius = models.DecimalField(max_digits=6, decimal_places=2)
    device_id = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lot", "time"])]
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "time", "device_id"], name="logistics_reading_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.time:%Y-%m-%d %H:%M} {self.celsius} °C"


class Breach(models.Model):
    class Reason(models.TextChoices):
        # The codes of `coldchain.detect` (also in the anchored record, which keeps the code).
        CUMULATIVE = "cumulative", _("Too long out of range")
        HARD_LIMIT = "hard_limit", _("Beyond the hard temperature limit")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="breaches")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    minutes_out_of_range = models.PositiveIntegerField()
    extreme_celsius = models.DecimalField(max_digits=6, decimal_places=2)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detected_at = models.DateTimeField(auto_now_add=True)
    anchor_digest = models.CharField(max_length=66, blank=True)

    class Meta:
        verbose_name = _("cold-chain breach")
        verbose_name_plural = _("cold-chain breaches")
        constraints = [
            models.UniqueConstraint(fields=["lot", "started_at"], name="logistics_breach_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lot} {self.started_at:%Y-%m-%d %H:%M}"


class Alert(models.Model):
    """A notice to a party (or to staff when party is empty) about a breach or a recall."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, null=True, blank=True)
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, null=True, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return self.message[:60]


class Recall(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        NOTIFIED = "notified", _("Notified")
        CLOSED = "closed", pgettext_lazy("recall status", "Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reason = models.TextField(_("reason"))
    reason_ko = models.TextField(_("reason in Korean"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    lots = models.ManyToManyField(Lot, related_name="recalls_chosen", verbose_name=_("lots"))
    affected_lots = models.ManyToManyField(Lot, blank=True, related_name="recalls")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    anchor_digest = models.CharField(max_length=66, blank=True)

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")

    def __str__(self) -> str:
        return f"{self.public_id} {self.reason[:40]}"
