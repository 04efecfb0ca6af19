"""Courses of the partner universities, learning progress, quizzes, chain labs, certificates."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from busanhub.i18n import LocalizedName


class University(LocalizedName, models.Model):
    """A partner institution; it issues certificates as its own did:web issuer (identity)."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("university")
        verbose_name_plural = _("universities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.localized_name


class Instructor(models.Model):
    """A user of the `instructor` role who teaches at one university."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="education_instructor"
    )
    university = models.ForeignKey(University, on_delete=models.PROTECT, related_name="instructors")

    class Meta:
        verbose_name = _("instructor")
        verbose_name_plural = _("instructors")

    def __str__(self) -> str:
        return f"{self.user} ({self.university.slug})"


class Course(models.Model):
    """One run of a course (its dates, capacity and certificates belong to this run)."""

    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    class Language(models.TextChoices):
        KOREAN = "ko", _("Korean")
        ENGLISH = "en", _("English")

    class Enrollment(models.TextChoices):
        OPEN = "open", pgettext_lazy("course enrollment", "Open")
        APPROVAL = "approval", _("By approval")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    university = models.ForeignKey(University, on_delete=models.PROTECT, related_name="courses")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_by",
        verbose_name=_("prerequisites"),
    )
    enrollment_policy = models.CharField(
        _("enrollment"), max_length=10, choices=Enrollment.choices, default=Enrollment.OPEN
    )
    is_enrollment_open = models.BooleanField(_("enrollment open"), default=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    pass_mark = models.PositiveSmallIntegerField(
        _("quiz pass mark (%)"), default=60, validators=[MaxValueValidator(100)]
    )
    is_published = models.BooleanField(_("published"), default=False)
    version = models.PositiveIntegerField(_("anchored version"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="education_course_dates"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="education_course_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("education:course", kwargs={"public_id": self.public_id})


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="education_module_position")
        ]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Reading")
        QUIZ = "quiz", _("Quiz")
        LAB = "lab", _("Chain lab")

    class LabTask(models.TextChoices):
        VERIFY_RECEIPT = "verify_receipt", _("Verify a receipt with the contract's verify")
        ANCHOR_DIGEST = "anchor_digest", _("Anchor a digest of your own")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(_("text (Markdown)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    is_required = models.BooleanField(_("required"), default=True)
    max_attempts = models.PositiveSmallIntegerField(
        _("quiz attempts allowed"), default=3, validators=[MinValueValidator(1)]
    )
    lab_task = models.CharField(_("lab task"), max_length=20, choices=LabTask.choices, blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["module__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "position"], name="education_lesson_position"
            ),
            models.CheckConstraint(
                condition=(Q(kind="lab") & ~Q(lab_task="")) | (~Q(kind="lab") & Q(lab_task="")),
                name="education_lesson_lab_task",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("education:lesson", kwargs={"public_id": self.public_id})


class LessonImage(models.Model):
    """An image a lesson's Markdown may show: ![alt](url of the image)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to="education/lessons/")
    alt = models.CharField(_("description (alt text)"), max_length=200)

    class Meta:
        verbose_name = _("lesson image")
        verbose_name_plural = _("lesson images")

    def __str__(self) -> str:
        return self.alt


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        NUMERIC = "numeric", _("Number")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    prompt = models.TextField(pgettext_lazy("quiz", "question"), max_length=2000)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    numeric_answer = models.DecimalField(
        _("numeric answer"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=20,
        decimal_places=6,
        default=0,
        validators=[MinValueValidator(0)],
    )
    feedback = models.TextField(_("feedback after answering"), blank=True, max_length=2000)

    class Meta:
        verbose_name = pgettext_lazy("quiz", "question")
        verbose_name_plural = pgettext_lazy("quiz", "questions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.prompt[:60]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(pgettext_lazy("quiz choice", "text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class Enrollment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Enrolled")
        REJECTED = "rejected", _("Not admitted")
        COMPLETED = "completed", pgettext_lazy("course enrollment", "Completed")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="education_enrollments"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "student"], name="education_enrollment_once")
        ]

    def __str__(self) -> str:
        return f"{self.student} → {self.course}"


class LessonProgress(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "lesson"], name="education_progress_once")
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id} ({self.enrollment_id})"


class QuizAttempt(models.Model):
    """One attempt at a quiz: the shuffled order it was shown in, the answers, the grade."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attempts")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    layout = models.JSONField(_("order shown"), default=list)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson", "number"], name="education_attempt_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lesson} #{self.number}"


class LabContract(models.Model):
    """The lab's own BusanAnchor on the lab chain, deployed by the faucet account."""

    chain_id = models.PositiveBigIntegerField(_("chain id"))
    address = models.CharField(_("address"), max_length=42)
    genesis_hash = models.CharField(_("genesis hash"), max_length=66)
    deploy_tx_hash = models.CharField(_("deploy transaction"), max_length=66)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("deployed at"), default=timezone.now)

    class Meta:
        verbose_name = _("lab contract")
        verbose_name_plural = _("lab contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="education_one_lab_contract"
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} @ {self.chain_id}"


class LabSandbox(models.Model):
    """A student's sandbox account on the lab chain. The key is shown to its owner on purpose:
    it holds only faucet test ether on a chain that `EDUCATION_LAB_CHAIN_IDS` allows."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="education_sandboxes"
    )
    contract = models.ForeignKey(LabContract, on_delete=models.CASCADE, related_name="sandboxes")
    address = models.CharField(_("address"), max_length=42)
    private_key = models.CharField(_("sandbox key"), max_length=66)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lab sandbox")
        verbose_name_plural = _("lab sandboxes")
        constraints = [
            models.UniqueConstraint(fields=["student", "contract"], name="education_sandbox_once")
        ]

    def __str__(self) -> str:
        return self.address


class FaucetGrant(models.Model):
    sandbox = models.ForeignKey(LabSandbox, on_delete=models.CASCADE, related_name="grants")
    amount_wei = models.DecimalField(_("amount (wei)"), max_digits=40, decimal_places=0)
    tx_hash = models.CharField(_("transaction"), max_length=66)
    created_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("faucet grant")
        verbose_name_plural = _("faucet grants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.tx_hash


class LabChallenge(models.Model):
    """What one student's lab asks: a receipt to check (verify_receipt), or nothing extra.

    `attempts` counts every answer checked against the chain; `failed_attempts` the wrong ones
    on the current receipt, which lock a verify_receipt lab until `locked_until`."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="labs")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    sandbox = models.ForeignKey(LabSandbox, on_delete=models.CASCADE, related_name="challenges")
    data = models.JSONField(pgettext_lazy("chain lab", "challenge"), default=dict, blank=True)
    is_passed = models.BooleanField(_("passed"), default=False)
    passed_at = models.DateTimeField(_("passed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("submissions"), default=0)
    failed_attempts = models.PositiveSmallIntegerField(
        _("wrong answers on this receipt"), default=0
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("lab")
        verbose_name_plural = _("labs")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "lesson"], name="education_lab_once")
        ]

    def __str__(self) -> str:
        return f"{self.lesson} ({self.enrollment_id})"


class CertificateBatch(models.Model):
    """The certificates of one course run; each issuance anchors a new version of the batch."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    course = models.OneToOneField(Course, on_delete=models.PROTECT, related_name="batch")
    version = models.PositiveIntegerField(_("anchored version"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")

    def __str__(self) -> str:
        return f"{self.course} v{self.version}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Being issued")
        ISSUED = "issued", _("Issued")
        REVOKED = "revoked", _("Revoked")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="certificate"
    )
    batch = models.ForeignKey(
        CertificateBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    # A string reference: education never imports identity's models (import-linter).
    credential = models.OneToOneField(
        "identity.Credential", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    revoked_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="education_certificate_status")]

    def __str__(self) -> str:
        return str(self.public_id)

    def get_absolute_url(self) -> str:
        return reverse("education:certificate", kwargs={"public_id": self.public_id})
