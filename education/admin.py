"""The education back office. Staff see every university; an instructor given admin access sees
and edits only their university's courses. Revocation goes through the service."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from busanhub.admin_big_lists import BigListAdmin
from busanhub.admin_choices import RememberedRelatedFilter, remember_choices_of
from education import services
from education.models import (
    Certificate,
    CertificateBatch,
    Choice,
    Course,
    Enrollment,
    FaucetGrant,
    Instructor,
    LabContract,
    LabSandbox,
    Lesson,
    LessonImage,
    Module,
    Question,
    QuizAttempt,
    University,
)
from education.permissions import instructor_university_id, is_education_staff


class UniversityScoped:
    """Limits rows to the instructor's university; `university_path` leads from the row to it."""

    university_path = "course__university"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_education_staff(request.user) or request.user.groups.filter(name="auditor").exists():
            return queryset
        university_id = instructor_university_id(request.user)
        if university_id is None:
            return queryset.none()
        return queryset.filter(**{f"{self.university_path}_id": university_id})


@admin.register(University)
class UniversityAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "name_ko"]
    search_fields = ["slug", "name", "name_ko"]


@admin.register(Instructor)
class InstructorAdmin(admin.ModelAdmin):
    list_display = ["user", "university"]
    list_filter = ["university"]
    search_fields = ["user__email", "user__name"]
    autocomplete_fields = ["user"]


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0


@admin.register(Course)
class CourseAdmin(UniversityScoped, admin.ModelAdmin):
    university_path = "university"
    list_display = [
        "title",
        "code",
        "university",
        "level",
        "language",
        "is_published",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["university", "level", "language", "is_published"]
    search_fields = ["title", "code", "summary"]
    filter_horizontal = ["prerequisites"]
    readonly_fields = ["public_id", "version"]
    inlines = [ModuleInline]
    actions = ["publish"]

    def save_model(self, request, obj, form, change):
        university_id = instructor_university_id(request.user)
        if not is_education_staff(request.user) and obj.university_id != university_id:
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish (and anchor) the selected courses"))
    def publish(self, request, queryset):
        for course in queryset:
            try:
                services.course_publish(course=course, by=request.user)
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, f"{course}: {error}")


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0
    fields = ["position", "title", "kind", "lab_task", "is_required", "max_attempts", "body"]


@admin.register(Module)
class ModuleAdmin(UniversityScoped, admin.ModelAdmin):
    list_display = ["title", "course", "position"]
    list_filter = ["course__university"]
    inlines = [LessonInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 2


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


class LessonImageInline(admin.TabularInline):
    model = LessonImage
    extra = 0


@admin.register(Lesson)
class LessonAdmin(UniversityScoped, admin.ModelAdmin):
    university_path = "module__course__university"
    list_display = ["title", "kind", "module", "position", "is_required"]
    list_filter = ["kind", "module__course__university"]
    search_fields = ["title", "body"]
    readonly_fields = ["public_id"]
    inlines = [LessonImageInline, QuestionInline]


@admin.register(Question)
class QuestionAdmin(UniversityScoped, admin.ModelAdmin):
    university_path = "lesson__module__course__university"
    list_display = ["prompt", "kind", "lesson"]
    inlines = [ChoiceInline]


remember_choices_of(University)  # the enrolments' university filter (busanhub.admin_choices)


@admin.register(Enrollment)
class EnrollmentAdmin(UniversityScoped, BigListAdmin):
    list_display = ["student", "course", "status", "created_at"]
    # The two shown, not Django's default select_related() of every foreign key.
    list_select_related = ["student", "course"]
    # Their str() (the email, the title; the checkbox's label is both), not the course's summary
    # or the student's password hash.
    list_columns = ["student__email", "course__title", "status", "created_at"]
    list_filter = ["status", ("course__university", RememberedRelatedFilter)]
    search_fields = ["student__email", "course__title"]
    readonly_fields = ["public_id", "course", "student", "created_at", "completed_at"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(UniversityScoped, admin.ModelAdmin):
    university_path = "enrollment__course__university"
    list_display = ["enrollment", "lesson", "number", "score", "submitted_at"]
    readonly_fields = [
        "enrollment",
        "lesson",
        "number",
        "layout",
        "answers",
        "score",
        "started_at",
        "submitted_at",
    ]


@admin.register(Certificate)
class CertificateAdmin(UniversityScoped, admin.ModelAdmin):
    university_path = "enrollment__course__university"
    list_display = ["public_id", "enrollment", "status", "issued_at"]
    list_filter = ["status", "enrollment__course__university"]
    search_fields = ["public_id", "enrollment__student__email"]
    readonly_fields = [
        "public_id",
        "enrollment",
        "batch",
        "credential",
        "status",
        "revoked_reason",
        "created_at",
        "issued_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(CertificateBatch)
class CertificateBatchAdmin(admin.ModelAdmin):
    list_display = ["public_id", "course", "version", "created_at"]
    readonly_fields = ["public_id", "course", "version", "created_at"]


@admin.register(LabContract)
class LabContractAdmin(admin.ModelAdmin):
    list_display = ["address", "chain_id", "is_active", "created_at"]


@admin.register(LabSandbox)
class LabSandboxAdmin(admin.ModelAdmin):
    list_display = ["address", "student", "contract", "created_at"]
    exclude = ["private_key"]


@admin.register(FaucetGrant)
class FaucetGrantAdmin(admin.ModelAdmin):
    list_display = ["sandbox", "amount_wei", "tx_hash", "created_at"]
