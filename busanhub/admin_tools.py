"""Pieces every app's Django admin uses: read-only registers and actions that take a reason."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only services write (ledgers, events, receipts): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReasonActionForm(ActionForm):
    """The admin's action bar with a "Reason" box, for actions that must record why."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


def run_action(
    modeladmin, request, queryset, action: Callable[[object, str], object], success: str
) -> int:
    """Calls `action(obj, reason)` (a service) on each selected row; a refusal of one row
    (ValidationError) is reported and the others go on. `success` has a %(count)d."""
    reason = request.POST.get("reason", "")
    done = 0
    for obj in queryset:
        try:
            action(obj, reason)
        except ValidationError as error:
            modeladmin.message_user(request, f"{obj}: {'; '.join(error.messages)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, success % {"count": done}, messages.SUCCESS)
    return done
