import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from safety.photo_files import photo_file_read

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_-]{1,40}$", _("Use letters, digits, '-' and '_' (at most 40).")
)


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ko = models.CharField(_("name (Korean)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    email = models.EmailField(_("contact email"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_ko


class Category(models.Model):
    """One entry of the service catalogue (an Open311 service)."""

    service_code = models.CharField(
        _("service code"), max_length=40, unique=True, validators=[CODE_VALIDATOR]
    )
    name_ko = models.CharField(_("name (Korean)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    group = models.CharField(pgettext_lazy("category group", "group"), max_length=60, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="categories",
        verbose_name=_("department"),
    )
    target_hours = models.PositiveIntegerField(
        _("target resolution time (hours)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 365)],
    )
    service_notice_ko = models.CharField(_("service notice (Korean)"), max_length=300, blank=True)
    service_notice_en = models.CharField(_("service notice (English)"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service_code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.service_code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_ko

    @property
    def description(self) -> str:
        return self.description_en if get_language() == "en" else self.description_ko

    @property
    def service_notice(self) -> str:
        return self.service_notice_en if get_language() == "en" else self.service_notice_ko


class CategoryAttribute(models.Model):
    """An Open311 service definition attribute: one extra question of a category."""

    class Datatype(models.TextChoices):
        STRING = "string", _("string")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("text")
        SINGLE = "singlevaluelist", _("single-value list")
        MULTI = "multivaluelist", _("multi-value list")

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("category")
    )
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    datatype = models.CharField(_("datatype"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for input"), default=True, help_text=_("Off: only informs the user.")
    )
    order = models.PositiveIntegerField(_("order"), default=1)
    description_ko = models.CharField(_("question (Korean)"), max_length=300)
    description_en = models.CharField(_("question (English)"), max_length=300)
    datatype_description_ko = models.CharField(_("hint (Korean)"), max_length=300, blank=True)
    datatype_description_en = models.CharField(_("hint (English)"), max_length=300, blank=True)

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="safety_attribute_code"),
            models.UniqueConstraint(fields=["category", "order"], name="safety_attribute_order"),
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.code

    @property
    def description(self) -> str:
        return self.description_en if get_language() == "en" else self.description_ko

    @property
    def datatype_description(self) -> str:
        return (
            self.datatype_description_en if get_language() == "en" else self.datatype_description_ko
        )

    @property
    def is_list(self) -> bool:
        return self.datatype in (self.Datatype.SINGLE, self.Datatype.MULTI)


class AttributeValue(models.Model):
    attribute = models.ForeignKey(
        CategoryAttribute,
        on_delete=models.CASCADE,
        related_name="values",
        verbose_name=_("question"),
    )
    key = models.CharField(_("key"), max_length=40, validators=[CODE_VALIDATOR])
    name_ko = models.CharField(_("name (Korean)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)

    class Meta:
        ordering = ["attribute", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "key"], name="safety_attribute_value_key")
        ]
        verbose_name = _("list value")
        verbose_name_plural = _("list values")

    def __str__(self) -> str:
        return self.key

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_ko


class ApiKey(models.Model):
    """A partner application's Open311 key; only its SHA-256 is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("partner name"), max_length=120)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(
        pgettext_lazy("report update", "created"), default=timezone.now, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Report(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate")

    OPEN_STATUSES = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.RESOLVED, Status.REJECTED, Status.DUPLICATE)

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", verbose_name=_("category")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="safety_reports",
        verbose_name=_("reporter"),
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("via API key")
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # Open311 partners may send an address without coordinates: such reports have none.
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.CharField(_("district"), max_length=20, blank=True, db_index=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    status_notes = models.CharField(_("latest public note"), max_length=1000, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("duplicate of")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="safety_assignments",
        verbose_name=_("assigned to"),
    )
    weight = models.PositiveIntegerField(_("weight"), default=1)
    version = models.PositiveIntegerField(_("anchored version"), default=1)
    digest = models.CharField(_("anchored digest"), max_length=66, blank=True)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["lat", "long"], name="safety_report_latlong"),
            models.Index(fields=["status", "created_at"], name="safety_report_status"),
            models.Index(fields=["category", "created_at"], name="safety_report_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, long__gte=-180, long__lte=180)
                | models.Q(lat__isnull=True, long__isnull=True, address__gt=""),
                name="safety_report_location",
            ),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="safety_report_weight"),
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.category.service_code} {str(self.public_id)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("safety:report-detail", kwargs={"public_id": self.public_id})

    @property
    def service_request_id(self) -> str:
        return str(self.public_id)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and timezone.now() > self.due_at

    @staticmethod
    def due_for(created_at, target_hours: int):
        return created_at + timedelta(hours=target_hours)


class ReportPhoto(models.Model):
    """A photo: the original (staff only) and a re-encoded copy without metadata (public).

    The bytes of both are files of the `safety_photos` storage (`safety.photo_files`, written
    before the report's transaction and removed if it fails); the row names them and keeps the
    original's SHA-256 (docs/adr/0006-report-photos-in-file-storage.md).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    original_name = models.CharField(_("original"), max_length=200, editable=False)
    original_content_type = models.CharField(max_length=40)
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    public_name = models.CharField(_("public copy"), max_length=200, editable=False)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="safety_photo_position")
        ]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.sha256[:12]

    def get_absolute_url(self) -> str:
        return reverse("safety:photo", kwargs={"public_id": self.public_id})

    def original_bytes(self) -> bytes:
        return photo_file_read(self.original_name)

    def public_bytes(self) -> bytes:
        return photo_file_read(self.public_name)


class ReportUpdate(models.Model):
    """One step of a report's timeline (its creation included), anchored as a version."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="updates", verbose_name=_("report")
    )
    version = models.PositiveIntegerField(pgettext_lazy("record", "version"))
    from_status = models.CharField(max_length=20, choices=Report.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Report.Status.choices)
    public_note = models.CharField(_("public note"), max_length=1000, blank=True)
    internal_note = models.TextField(_("internal note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    digest = models.CharField(_("anchored digest"), max_length=66)
    # Voucher points the reporter earned with this step (only a resolution earns any).
    reward = models.PositiveIntegerField(_("reward (KRW points)"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["report", "version"]
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="safety_update_version")
        ]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.report} v{self.version} {self.to_status}"


class Follower(models.Model):
    """A citizen who said "me too": notified of every change, adds weight to the report."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="safety_follower_once")
        ]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")

    def __str__(self) -> str:
        return f"{self.user} → {self.report}"


class ResponseTemplate(models.Model):
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("for status"), max_length=20, choices=Report.Status.choices)
    text_ko = models.CharField(_("public note (Korean)"), max_length=1000)
    text_en = models.CharField(_("public note (English)"), max_length=1000)

    class Meta:
        ordering = ["status", "name"]
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")

    def __str__(self) -> str:
        return self.name


class MapCell(models.Model):
    """How many reports of a category and status lie in one cell of a grid, and the sums of
    their coordinates (so the cluster's centre): the public map's clusters, read without
    scanning the reports. A cell at `level` is 2**-level degrees a side, `x` = floor(long *
    2**level), `y` = floor(lat * 2**level). Written only by `safety.services.map_cells`."""

    level = models.PositiveSmallIntegerField(_("grid level"))
    x = models.IntegerField(_("cell column"))
    y = models.IntegerField(_("cell row"))
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", verbose_name=_("category")
    )
    status = models.CharField(_("status"), max_length=20, choices=Report.Status.choices)
    count = models.IntegerField(_("reports"), default=0)
    lat_sum = models.FloatField(_("sum of latitudes"), default=0)
    long_sum = models.FloatField(_("sum of longitudes"), default=0)

    class Meta:
        constraints = [
            # The sums ride in the index, so a viewport's cells are read from it alone.
            models.UniqueConstraint(
                fields=["level", "x", "y", "category", "status"],
                include=["count", "lat_sum", "long_sum"],
                name="safety_mapcell_key",
            )
        ]
        verbose_name = _("map cell")
        verbose_name_plural = _("map cells")

    def __str__(self) -> str:
        return f"{self.level}/{self.x}/{self.y} {self.status} {self.count}"
