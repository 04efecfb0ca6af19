from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from busanhub.admin_tools import ReadOnlyAdmin, ReasonActionForm, run_action
from identity import services
from identity.forms import CLAIM_LABELS, DOCUMENT_LABELS, EVIDENCE_LABELS, TYPE_LABELS
from identity.models import (
    ConsentReceipt,
    Credential,
    CredentialApplication,
    IssuerKey,
    PresentationRequest,
    StatusChange,
    StatusList,
)


@admin.register(CredentialApplication)
class CredentialApplicationAdmin(admin.ModelAdmin):
    action_form = ReasonActionForm
    list_display = ["credential_type", "applicant", "status", "created_at", "decided_by"]
    list_filter = ["status", "credential_type"]
    search_fields = ["applicant__email", "public_id"]
    readonly_fields = [
        "public_id",
        "applicant",
        "applicant_profile",
        "credential_type",
        "claims_in_words",
        "evidence_in_words",
        "evidence",
        "status",
        "decision_reason",
        "decided_by",
        "decided_at",
        "credential",
        "created_at",
    ]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    @staticmethod
    def _rows(rows):
        return format_html(
            '<table class="bpass-evidence">{}</table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("applicant's profile"))
    def applicant_profile(self, obj):
        user = obj.applicant
        return self._rows(
            [
                (_("name"), user.name or "—"),
                (_("email"), user.email),
                (_("preferred language"), user.get_preferred_language_display()),
            ]
        )

    @admin.display(description=_("claims to certify"))
    def claims_in_words(self, obj):
        label = TYPE_LABELS.get(obj.credential_type, obj.credential_type)
        return self._rows(
            [(_("credential"), label)]
            + [(CLAIM_LABELS.get(key, key), value) for key, value in obj.claims.items()]
        )

    @admin.display(description=_("evidence to check"))
    def evidence_in_words(self, obj):
        if not obj.evidence_details:
            return "—"
        return self._rows(
            [
                (
                    EVIDENCE_LABELS.get(key, key),
                    DOCUMENT_LABELS.get(value, value) if key == "document" else value,
                )
                for key, value in obj.evidence_details.items()
            ]
        )

    @admin.action(description=_("Approve and issue the credential"), permissions=["change"])
    def approve(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda obj, reason: services.application_approve(application=obj, by=request.user),
            _("%(count)d credential(s) issued."),
        )

    @admin.action(description=_("Reject (give a reason)"), permissions=["change"])
    def reject(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda obj, reason: services.application_reject(
                application=obj, by=request.user, reason=reason
            ),
            _("%(count)d application(s) rejected."),
        )


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["status", "reason", "changed_by", "changed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    action_form = ReasonActionForm
    list_display = ["credential_type", "holder", "issuer", "status", "issued_at"]
    list_filter = ["status", "credential_type", "issuer"]
    search_fields = ["holder__email", "public_id", "subject_did"]
    readonly_fields = [
        "public_id",
        "issuer",
        "holder",
        "subject_did",
        "credential_type",
        "claims",
        "document",
        "cryptosuite",
        "digest",
        "status_index",
        "status",
        "status_reason",
        "version",
        "valid_from",
        "valid_until",
        "issued_at",
    ]
    inlines = [StatusChangeInline]
    actions = ["revoke", "suspend", "reinstate"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke (give a reason)"), permissions=["change"])
    def revoke(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda obj, reason: services.credential_revoke(
                credential=obj, reason=reason, by=request.user
            ),
            _("%(count)d credential(s) revoked."),
        )

    @admin.action(description=_("Suspend (give a reason)"), permissions=["change"])
    def suspend(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda obj, reason: services.credential_suspend(
                credential=obj, reason=reason, by=request.user
            ),
            _("%(count)d credential(s) suspended."),
        )

    @admin.action(description=_("Reinstate (give a reason)"), permissions=["change"])
    def reinstate(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda obj, reason: services.credential_reinstate(
                credential=obj, reason=reason, by=request.user
            ),
            _("%(count)d credential(s) reinstated."),
        )


@admin.register(IssuerKey)
class IssuerKeyAdmin(ReadOnlyAdmin):
    list_display = ["slug", "name", "did", "created_at"]
    exclude = ["private_key_encrypted"]


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyAdmin):
    list_display = ["slug", "purpose", "issuer", "version", "updated_at"]
    exclude = ["bits"]


@admin.register(PresentationRequest)
class PresentationRequestAdmin(ReadOnlyAdmin):
    list_display = ["purpose", "verifier", "status", "created_at", "expires_at"]
    list_filter = ["status"]


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "holder", "decision", "created_at"]
    list_filter = ["decision"]
