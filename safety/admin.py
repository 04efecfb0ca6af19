"""The staff back office: catalogue, partner keys, and the triage queue of reports.

Every change of a report goes through the services (transitions, assignment), never a raw
model save, so each is validated, anchored and notified the same way as everywhere else.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from busanhub import basemap
from busanhub.admin_big_lists import BigListAdmin
from busanhub.admin_choices import RememberedRelatedFilter, remember_choices_of

from . import selectors, services
from .forms import TransitionForm
from .models import (
    ApiKey,
    AttributeValue,
    Category,
    CategoryAttribute,
    Department,
    Report,
    ReportPhoto,
    ReportUpdate,
    ResponseTemplate,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ko", "name_en", "email"]
    search_fields = ["code", "name_ko", "name_en"]


class CategoryAttributeInline(admin.TabularInline):
    model = CategoryAttribute
    extra = 0
    fields = [
        "order",
        "code",
        "datatype",
        "required",
        "variable",
        "description_ko",
        "description_en",
    ]
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["service_code", "name_ko", "name_en", "department", "target_hours", "is_active"]
    list_filter = ["is_active", "department", "group"]
    search_fields = ["service_code", "name_ko", "name_en", "keywords"]
    inlines = [CategoryAttributeInline]


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 1


@admin.register(CategoryAttribute)
class CategoryAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "order", "code", "datatype", "required"]
    list_filter = ["category", "datatype"]
    inlines = [AttributeValueInline]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "text_ko", "text_en"]
    list_filter = ["status"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "created_at"]
    list_filter = ["is_active"]
    fields = ["name", "is_active"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw_key = services.api_key_create(name=obj.name)
        obj.pk = key.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            gettext("New api_key for %(name)s (shown only now, copy it): %(key)s")
            % {"name": key.name, "key": raw_key},
        )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("On time"))]

    def queryset(self, request, queryset):
        overdue = Q(status__in=Report.OPEN_STATUSES, due_at__lt=timezone.now())
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


def district_name(code: str) -> str:
    """A district's name in the page's language (the base map's Korean or English), the code
    itself if the base map does not know it, "" for none."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    for district in basemap.districts():
        if district.code == code:
            return district.name(language)
    return code


class DistrictFilter(admin.SimpleListFilter):
    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        language = translation.get_language() or settings.LANGUAGE_CODE
        return [(district.code, district.name(language)) for district in basemap.districts()]

    def queryset(self, request, queryset):
        return queryset.filter(district=self.value()) if self.value() else queryset


class ReportPhotoInline(admin.TabularInline):
    model = ReportPhoto
    extra = 0
    can_delete = False
    fields = ["position", "sha256", "width", "height", "links"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("files"))
    def links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("safety:photo-original", kwargs={"public_id": obj.public_id}),
            gettext("original (staff only)"),
            obj.get_absolute_url(),
            gettext("public copy"),
        )


class ReportUpdateInline(admin.TabularInline):
    model = ReportUpdate
    extra = 0
    can_delete = False
    fields = [
        "version",
        "from_status",
        "to_status",
        "public_note",
        "internal_note",
        "actor",
        "created_at",
        "digest",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AssigneeFilter(RememberedRelatedFilter):
    """The staff a report can be assigned to (the change form offers only staff), not every
    user: a city's citizens were one query of all users and one sidebar link each."""

    def choices_read(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to={"is_staff": True}
        )


def staff_choices_kept(user, update_fields) -> bool:
    """Whether a user's save leaves the assignee filter's choices (staff, by email) as they
    were: it names its fields, not is_staff, and not the email of a staff member. A sign-in's
    last_login and a citizen's every write keep them."""
    return "is_staff" not in update_fields and not (user.is_staff and "email" in update_fields)


# The queue's sidebar choices (busanhub.admin_choices).
remember_choices_of(Department)
remember_choices_of(Category)
remember_choices_of(get_user_model(), keeps=staff_choices_kept)


@admin.register(Report)
class ReportAdmin(BigListAdmin):
    change_list_template = "admin/safety/report/change_list.html"
    list_display = [
        "short_id",
        "category",
        "district_name",
        "status",
        "weight",
        "assigned_to",
        "created_at",
        "overdue_flag",
    ]
    list_filter = [
        "status",
        ("category__department", RememberedRelatedFilter),
        ("category", RememberedRelatedFilter),
        DistrictFilter,
        OverdueFilter,
        ("assigned_to", AssigneeFilter),
    ]
    list_select_related = ["category", "assigned_to"]
    # What the rows show (and str(), the action checkbox's label, and is_overdue read): not
    # the description, the answers, the contact or the assignee's password hash.
    list_columns = [
        "public_id",
        "category__service_code",
        "category__name_ko",
        "category__name_en",
        "district",
        "status",
        "weight",
        "assigned_to__email",
        "created_at",
        "due_at",
    ]
    search_fields = ["=public_id", "address", "description"]
    date_hierarchy = "created_at"
    actions = ["change_status"]
    fields = [
        "public_id",
        "category",
        "status",
        "status_notes",
        "duplicate_of",
        "assigned_to",
        "reporter",
        "contact_name",
        "contact_email",
        "contact_phone",
        "api_key",
        "lat",
        "long",
        "address",
        "district_name",
        "description",
        "answers",
        "media_url",
        "weight",
        "version",
        "digest",
        "created_at",
        "due_at",
        "closed_at",
    ]
    readonly_fields = [field for field in fields if field != "assigned_to"]
    inlines = [ReportPhotoInline, ReportUpdateInline]

    def has_add_permission(self, request):
        return False  # reports are filed by citizens and partners, not typed in by staff

    def has_delete_permission(self, request, obj=None):
        return False  # anchored records are never deleted

    @admin.display(description=_("id"))
    def short_id(self, obj):
        return str(obj.public_id)[:8]

    @admin.display(description=_("district"), ordering="district")
    def district_name(self, obj):
        return district_name(obj.district)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_flag(self, obj):
        return obj.is_overdue

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if "assigned_to" in form.changed_data:
            services.report_assign(report=obj, assignee=obj.assigned_to, actor=request.user)

    def get_urls(self):
        urls = super().get_urls()
        own = [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="safety_report_dashboard",
            ),
            path(
                "<path:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="safety_report_transition",
            ),
        ]
        return own + urls

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            points = [
                {"lat": lat, "long": long, "status": status, "id": str(public_id)}
                for public_id, lat, long, status in changelist.queryset.filter(
                    lat__isnull=False
                ).values_list("public_id", "lat", "long", "status")[:1000]
            ]
            response.context_data["map_points"] = points
            response.context_data["tile_url"] = getattr(settings, "SAFETY_TILE_URL", "")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["transition_url"] = reverse(
            "admin:safety_report_transition", kwargs={"object_id": object_id}
        )
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def _transition(self, request, reports, form) -> int:
        template = form.cleaned_data.get("template")
        note = form.cleaned_data["public_note"]
        if not note and template is not None:
            note = template.text_en if request.LANGUAGE_CODE == "en" else template.text_ko
        duplicate_of = None
        if form.cleaned_data.get("duplicate_of"):
            duplicate_of = Report.objects.filter(
                public_id=form.cleaned_data["duplicate_of"]
            ).first()
            if duplicate_of is None:
                form.add_error("duplicate_of", gettext("No report has this id."))
                return -1
        done = 0
        for report in reports:
            try:
                services.report_transition(
                    report=report,
                    to_status=form.cleaned_data["to_status"],
                    actor=request.user,
                    public_note=note,
                    internal_note=form.cleaned_data["internal_note"],
                    duplicate_of=duplicate_of,
                )
                done += 1
            except ValidationError as error:
                messages.error(request, f"{str(report.public_id)[:8]}: {' '.join(error.messages)}")
        return done

    def _status_choices(self, reports):
        allowed = (
            set.union(*(services.TRANSITIONS[report.status] for report in reports))
            if reports
            else set()
        )
        return [(value, label) for value, label in Report.Status.choices if value in allowed]

    @admin.action(description=_("Change status of selected reports"), permissions=["change"])
    def change_status(self, request, queryset):
        reports = list(queryset)
        form = TransitionForm(
            request.POST if "apply" in request.POST else None,
            choices=self._status_choices(reports),
        )
        if "apply" in request.POST and form.is_valid():
            done = self._transition(request, reports, form)
            if done >= 0:
                messages.success(request, gettext("%(count)s reports changed.") % {"count": done})
                return None
        return TemplateResponse(
            request,
            "admin/safety/report/transition.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Change status"),
                "form": form,
                "reports": reports,
                "opts": self.model._meta,
                "bulk": True,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def transition_view(self, request: HttpRequest, object_id: str):
        # get_object answers None for an id that is not one (a 404, not a 500 from int()).
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            choices=self._status_choices([report]),
        )
        if (
            request.method == "POST"
            and form.is_valid()
            and self._transition(request, [report], form) == 1
        ):
            messages.success(request, gettext("The report's status was changed."))
            return HttpResponseRedirect(
                reverse("admin:safety_report_change", kwargs={"object_id": report.pk})
            )
        return TemplateResponse(
            request,
            "admin/safety/report/transition.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Change status"),
                "form": form,
                "reports": [report],
                "opts": self.model._meta,
                "bulk": False,
            },
        )

    def dashboard_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            raise PermissionDenied
        department = request.GET.get("department", "")
        reports = Report.objects.all()
        if department:
            reports = reports.filter(category__department__code=department)
        dashboard = selectors.triage_dashboard(reports=reports)
        for row in dashboard["open_by_district"]:
            row["name"] = district_name(row["district"])
        return TemplateResponse(
            request,
            "admin/safety/report/dashboard.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Safety reports dashboard"),
                "opts": self.model._meta,
                "dashboard": dashboard,
                "departments": Department.objects.all(),
                "department": department,
            },
        )
