from django.contrib import admin

from busanhub.bank.models import SandboxFault, SandboxTransfer


@admin.register(SandboxTransfer)
class SandboxTransferAdmin(admin.ModelAdmin):
    list_display = ["transfer_id", "direction", "account_ref", "amount", "status", "created_at"]
    list_filter = ["direction", "status"]
    search_fields = ["transfer_id", "account_ref", "reference", "idempotency_key"]
    readonly_fields = [f.name for f in SandboxTransfer._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SandboxFault)
class SandboxFaultAdmin(admin.ModelAdmin):
    list_display = ["kind", "account_ref", "remaining"]
