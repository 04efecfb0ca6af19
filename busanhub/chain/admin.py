from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from busanhub.admin_tools import ReadOnlyAdmin
from busanhub.chain import node, selectors, services
from busanhub.chain.models import AnchorBatch, AnchorLeaf, ChainDeployment


@admin.register(ChainDeployment)
class ChainDeploymentAdmin(admin.ModelAdmin):
    list_display = ["address", "chain_id", "is_active", "deploy_block", "created_at"]
    list_filter = ["is_active", "chain_id"]
    readonly_fields = [f.name for f in ChainDeployment._meta.fields]

    def has_add_permission(self, request):
        return False  # deployments come from `manage.py chain_deploy`


@admin.register(AnchorBatch)
class AnchorBatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "leaf_count",
        "root",
        "block_number",
        "gas_used",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "deployment"]
    search_fields = ["root", "tx_hash"]
    exclude = ["tree", "raw_tx"]
    readonly_fields = [f.name for f in AnchorBatch._meta.fields if f.name not in ("tree", "raw_tx")]
    actions = ["re_anchor"]
    change_list_template = "admin/chain/anchorbatch/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("tree", "raw_tx").select_related("deployment")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # nothing anchored is ever deleted

    @admin.action(description=_("Anchor the selected batches again"), permissions=["change"])
    def re_anchor(self, request, queryset):
        count = 0
        for pk in queryset.exclude(status=AnchorBatch.Status.SEALED).values_list("pk", flat=True):
            with transaction.atomic():
                batch = AnchorBatch.objects.select_for_update().get(pk=pk)
                services.batch_requeue(
                    batch=batch, reason=f"re-anchor requested by {request.user} in the admin"
                )
                count += 1
        self.message_user(
            request,
            _("%(count)d batches will be anchored again.") % {"count": count},
            messages.SUCCESS,
        )

    def get_urls(self):
        extra = [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="chain_anchoring_dashboard",
            )
        ]
        return extra + super().get_urls()

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        figures = selectors.anchoring_dashboard()
        try:
            w3 = node.web3(timeout=2)
            chain: dict[str, object] = {
                "reachable": True,
                "chain_id": w3.eth.chain_id,
                "block": w3.eth.block_number,
            }
        except node.TRANSIENT_ERRORS as exc:
            chain = {"reachable": False, "error": str(exc)[:200]}
        oldest = figures["pending"]["oldest"]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Anchoring dashboard"),
            "figures": figures,
            "oldest_age": (timezone.now() - oldest) if oldest else None,
            "chain": chain,
            "deployment": services.deployment_active(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/chain/dashboard.html", context)


@admin.register(AnchorLeaf)
class AnchorLeafAdmin(ReadOnlyAdmin):
    # A queue of millions of rows: no COUNT(*) of the whole table beside the filtered one.
    show_full_result_count = False
    list_display = ["digest", "kind", "ref", "version", "is_public", "batch_status", "created_at"]
    list_filter = ["batch__status", "kind", "is_public", ("batch", admin.EmptyFieldListFilter)]
    search_fields = ["digest", "ref", "kind"]
    readonly_fields = [f.name for f in AnchorLeaf._meta.fields]
    list_select_related = ["batch"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("batch__tree", "batch__raw_tx")

    @admin.display(description=_("anchoring"))
    def batch_status(self, leaf):
        return leaf.batch.get_status_display() if leaf.batch else _("pending")
