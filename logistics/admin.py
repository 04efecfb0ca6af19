"""The B-Fresh back office: master data, events, cold chain, and the recall workflow."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from busanhub import spreadsheet
from busanhub.admin_big_lists import BigListAdmin
from busanhub.admin_tools import ReadOnlyAdmin

from . import selectors, services
from .forms import RecallForm
from .models import (
    Alert,
    Breach,
    CaptureJob,
    Device,
    Event,
    Location,
    Lot,
    PartnerKey,
    Party,
    Product,
    Recall,
)


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


class PartnerKeyInline(admin.TabularInline):
    model = PartnerKey
    extra = 0
    fields = ["name", "prefix", "is_active", "created_at"]
    readonly_fields = ["prefix", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False  # keys are issued by the "issue an API key" action, which shows them once


class RefusesDeletingUsedRows(admin.ModelAdmin):
    """Rows that events or other records use are deactivated, never deleted: the delete page
    refuses them, and deleting goes through the service (no bulk delete action)."""

    is_referenced = staticmethod(lambda row: True)
    delete_service = staticmethod(lambda row: None)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.is_referenced(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        self.delete_service(obj)


@admin.register(Party)
class PartyAdmin(RefusesDeletingUsedRows):
    list_display = ["name", "gln", "company_prefix", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    is_referenced = staticmethod(services.party_is_referenced)
    delete_service = staticmethod(lambda row: services.party_delete(party=row))
    search_fields = ["name", "gln"]
    filter_horizontal = ["members"]
    inlines = [LocationInline, PartnerKeyInline]
    actions = ["issue_key"]

    @admin.action(description=_("Issue an API key"), permissions=["change"])
    def issue_key(self, request, queryset):
        for party in queryset:
            _key, raw = services.partner_key_create(party=party, name="issued in admin")
            self.message_user(
                request,
                _("API key for %(party)s (shown once): %(key)s") % {"party": party, "key": raw},
                messages.WARNING,
            )


@admin.register(Location)
class LocationAdmin(RefusesDeletingUsedRows):
    list_display = ["name", "gln", "kind", "party", "is_active"]
    list_filter = ["kind", "is_active"]
    is_referenced = staticmethod(services.location_is_referenced)
    delete_service = staticmethod(lambda row: services.location_delete(location=row))
    search_fields = ["name", "gln"]
    autocomplete_fields = ["party"]


@admin.register(Product)
class ProductAdmin(RefusesDeletingUsedRows):
    list_display = ["name", "gtin", "species", "product_form", "storage_class", "is_active"]
    list_filter = ["storage_class", "product_form", "is_active"]
    is_referenced = staticmethod(services.product_is_referenced)
    delete_service = staticmethod(lambda row: services.product_delete(product=row))
    search_fields = ["name", "name_ko", "gtin", "species"]


@admin.register(Lot)
class LotAdmin(RefusesDeletingUsedRows):
    list_display = ["lot_code", "product", "trace_number", "status", "is_consumed", "consumer_page"]
    list_filter = ["status", "product__storage_class", "is_consumed"]
    search_fields = ["lot_code", "trace_number", "identifier"]
    readonly_fields = ["identifier", "public_id", "created_at"]
    actions = ["start_recall"]
    is_referenced = staticmethod(services.lot_is_referenced)
    delete_service = staticmethod(lambda row: services.lot_delete(lot=row))

    @admin.display(description=_("consumer page"))
    def consumer_page(self, lot):
        url = reverse("logistics:provenance", args=[lot.product.gtin, lot.lot_code])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.action(description=_("Recall the selected lots"), permissions=["change"])
    def start_recall(self, request, queryset):
        if not request.user.has_perm("logistics.add_recall"):
            raise PermissionDenied
        lots = list(queryset.select_related("product"))
        form = RecallForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            try:
                recall = services.recall_create(
                    lots=lots,
                    reason=form.cleaned_data["reason"],
                    reason_ko=form.cleaned_data["reason_ko"],
                    user=request.user,
                )
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                return None
            return redirect("admin:logistics_recall_change", recall.pk)
        from . import selectors

        return TemplateResponse(
            request,
            "admin/logistics/recall_start.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Recall lots"),
                "lots": lots,
                "affected": selectors.lots_affected(lots),
                "form": form,
                "opts": self.model._meta,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["public_id", "reason", "status", "created_at", "notified_at"]
    list_filter = ["status"]
    readonly_fields = [
        "public_id",
        "status",
        "created_by",
        "created_at",
        "notified_at",
        "anchor_digest",
        "affected",
        "workflow",
    ]
    fields = ["reason", "reason_ko", *readonly_fields]

    def has_add_permission(self, request):
        return False  # recalls start from the lots list ("Recall the selected lots")

    @admin.display(description=_("affected lots, holders and shops"))
    def affected(self, recall):
        rows = services.recall_holders(recall)
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("lot"),
            _("holder"),
            _("location"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((row["lot"], row["party"] or "-", row["location"] or "-") for row in rows),
            ),
        )

    @admin.display(description=_("workflow"))
    def workflow(self, recall):
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a> '
            '<a class="button" href="{}">{}</a>',
            reverse("admin:logistics_recall_notify", args=[recall.pk]),
            _("Notify holders"),
            reverse("admin:logistics_recall_export", args=[recall.pk, "csv"]),
            _("Export KDEs (CSV)"),
            reverse("admin:logistics_recall_export", args=[recall.pk, "xlsx"]),
            _("Export KDEs (XLSX)"),
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/notify/",
                self.admin_site.admin_view(self.notify_view),
                name="logistics_recall_notify",
            ),
            path(
                "<int:pk>/export.<str:fmt>",
                self.admin_site.admin_view(self.export_view),
                name="logistics_recall_export",
            ),
        ]
        return own + super().get_urls()

    def notify_view(self, request, pk):
        recall = get_object_or_404(Recall, pk=pk)
        if not self.has_change_permission(request, recall):
            raise PermissionDenied
        if request.method == "POST":
            count = services.recall_notify(recall=recall)
            self.message_user(
                request, _("%(count)d holders notified.") % {"count": count}, messages.SUCCESS
            )
            return redirect("admin:logistics_recall_change", recall.pk)
        return TemplateResponse(
            request,
            "admin/logistics/recall_notify.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Notify the holders"),
                "recall": recall,
                "rows": services.recall_holders(recall),
                "opts": self.model._meta,
            },
        )

    def export_view(self, request, pk, fmt):
        recall = get_object_or_404(Recall, pk=pk)
        if not self.has_view_permission(request, recall) or fmt not in ("csv", "xlsx"):
            raise PermissionDenied
        filename = f"recall-{recall.public_id}.{fmt}"
        if fmt == "csv":
            return spreadsheet.csv_response(services.recall_export_csv(recall), filename=filename)
        return spreadsheet.xlsx_response(services.recall_export_xlsx(recall), filename=filename)


class BizStepFilter(admin.AllValuesFieldListFilter):
    """Django's list of every distinct step, read from the index step by step: its
    `SELECT DISTINCT` read all of a city's events on every page of the list."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = selectors.biz_steps_all()


@admin.register(Event)
class EventAdmin(BigListAdmin, ReadOnlyAdmin):
    list_display = ["event_type", "event_time", "biz_step", "biz_location", "record_time"]
    # Not the captured document (data, context: JSON of kilobytes) nor its hashes.
    list_columns = ["event_type", "event_time", "biz_step", "biz_location", "record_time"]
    list_filter = ["event_type", ("biz_step", BizStepFilter)]
    search_fields = ["event_id", "event_hash"]
    date_hierarchy = "event_time"
    exclude = ["parties"]


@admin.register(CaptureJob)
class CaptureJobAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "party", "status", "event_count", "created_at"]
    list_filter = ["status"]


@admin.register(Breach)
class BreachAdmin(ReadOnlyAdmin):
    list_display = ["lot", "started_at", "minutes_out_of_range", "extreme_celsius", "reason"]
    list_filter = ["reason"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "party", "lot", "message"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["device_id", "party", "attached_to"]
    search_fields = ["device_id", "attached_to"]
