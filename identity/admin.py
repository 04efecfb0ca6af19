import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from busanhub.admin_tools import ReadOnlyAdmin, ReasonActionForm, run_action
from identity import services
from identity.labels import DOCUMENT_LABELS, EVIDENCE_LABELS, claims_in_words, type_label
from identity.models import (
    ConsentReceipt,
    Credential,
    CredentialApplication,
    IssuerKey,
    PresentationRequest,
    StatusChange,
    StatusList,
)


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        # The box sits in the read-only change form but belongs to the reject form.
        widget=forms.Textarea(attrs={"rows": 3, "form": "bpass-reject"}),
        help_text=_("Needed to reject: the applicant reads it on their wallet page and by e-mail."),
    )


def application_decide(*, application, decision: str, by, reason: str = ""):
    """The one path from the admin to the identity services, for the bulk actions and the
    buttons of the application's page alike."""
    if decision == "approve":
        return services.application_approve(application=application, by=by)
    return services.application_reject(application=application, by=by, reason=reason)


@admin.register(CredentialApplication)
class CredentialApplicationAdmin(admin.ModelAdmin):
    """An application is what the citizen submitted: staff read it in words (never the raw
    JSON), and approve or reject it with the buttons of its page or the list's actions; nobody
    edits or deletes it."""

    action_form = ReasonActionForm
    list_display = ["credential_type", "applicant", "status", "created_at", "decided_by"]
    list_filter = ["status", "credential_type"]
    search_fields = ["applicant__email", "public_id"]
    fields = readonly_fields = [
        "public_id",
        "applicant_profile",
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

    def has_change_permission(self, request, obj=None):
        # The list's actions need "change"; one application's page is read-only (its decision
        # goes through decide_view, which asks for the same permission).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                f"<path:object_id>/{decision}/",
                self.admin_site.admin_view(self.decide_view),
                {"decision": decision},
                name=f"identity_credentialapplication_{decision}",
            )
            for decision in ("approve", "reject")
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request,
            object_id,
            form_url,
            extra_context=self._decision_context(object_id, DecisionForm(), extra_context),
        )

    @staticmethod
    def _decision_context(object_id, form, extra_context=None) -> dict:
        urls = {
            decision: reverse(f"admin:identity_credentialapplication_{decision}", args=[object_id])
            for decision in ("approve", "reject")
        }
        return {
            **(extra_context or {}),
            "title": _("Review a B Pass application"),
            "decision_form": form,
            "approve_url": urls["approve"],
            "reject_url": urls["reject"],
            "show_delete": False,
        }

    @method_decorator(require_POST)
    def decide_view(self, request, object_id: str, decision: str):
        """Approve or reject one application (POST, CSRF, staff with the change permission).
        A second click on a decided application changes nothing and says so."""
        application = self.get_object(request, unquote(object_id))
        if application is None:
            raise Http404
        if not super().has_change_permission(request, application):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                application_decide(
                    application=application,
                    decision=decision,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                if "reason" not in error.message_dict:
                    self.message_user(request, " ".join(error.messages), messages.WARNING)
                    return HttpResponseRedirect(self._change_url(application))
                form.add_error("reason", error.message_dict["reason"])
            else:
                done = (
                    _("Approved: the credential is in the applicant's wallet.")
                    if decision == "approve"
                    else _("Rejected: the applicant has been told why.")
                )
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(application))
        # The page again, with the form's error under the reason box.
        page = copy.copy(request)
        page.method = "GET"
        return super().change_view(
            page, object_id, extra_context=self._decision_context(object_id, form)
        )

    @staticmethod
    def _change_url(application) -> str:
        return reverse("admin:identity_credentialapplication_change", args=[application.pk])

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
        return self._rows(
            [(_("credential"), type_label(obj.credential_type))] + claims_in_words(obj.claims)
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

    def _run(self, request, queryset, decision: str, success: str):
        run_action(
            self,
            request,
            queryset,
            lambda obj, reason: application_decide(
                application=obj, decision=decision, by=request.user, reason=reason
            ),
            success,
        )

    @admin.action(description=_("Approve and issue the credential"), permissions=["change"])
    def approve(self, request, queryset):
        self._run(request, queryset, "approve", _("%(count)d credential(s) issued."))

    @admin.action(description=_("Reject (give a reason)"), permissions=["change"])
    def reject(self, request, queryset):
        self._run(request, queryset, "reject", _("%(count)d application(s) rejected."))


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
        "status_list_number",
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
    list_display = ["slug", "purpose", "number", "issuer", "capacity", "version", "updated_at"]
    exclude = ["bits"]


@admin.register(PresentationRequest)
class PresentationRequestAdmin(ReadOnlyAdmin):
    list_display = ["purpose", "verifier", "status", "created_at", "expires_at"]
    list_filter = ["status"]


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "holder", "decision", "created_at"]
    list_filter = ["decision"]
