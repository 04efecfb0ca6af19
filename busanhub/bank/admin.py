from django.contrib import admin

from busanhub.admin_tools import ReadOnlyAdmin
from busanhub.bank.models import BankLink, SandboxFault, SandboxTransfer


@admin.register(BankLink)
class BankLinkAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "user", "bank_code", "status", "verified_at", "removed_at"]
    list_filter = ["status", "bank_code"]
    search_fields = ["public_id", "user__email", "account_ref"]
    list_select_related = ["user"]
    exclude = ["code_hash"]


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
