"""The staff back office: Django's admin behind allauth's login and, in production, MFA."""

from functools import wraps
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from busanhub.accounts import admin_navigation


def session_used_mfa(request) -> bool:
    """True when this session's login (or a re-authentication) passed a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def refuse_signed_in_non_staff(request) -> None:
    """A signed-in citizen gets the 403 page: sent to the login page, which sends a signed-in
    user on to `next`, she would loop between /admin/ and the login forever."""
    user = request.user
    if user.is_authenticated and not (user.is_active and user.is_staff):
        raise PermissionDenied


class BusanAdminSite(admin.AdminSite):
    site_header = _("BusanHub administration")
    site_title = _("BusanHub admin")
    index_title = _("Back office")

    def login(self, request, extra_context=None):
        # One login for everybody: allauth's, which also runs the MFA step. Django's admin
        # login form would authenticate with the password alone.
        refuse_signed_in_non_staff(request)
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")

    def get_app_list(self, request, app_label=None):
        # Every page's sidebar: built once per set of permissions and language
        # (busanhub/accounts/admin_navigation.py). One app's index page builds its own.
        if app_label is not None:
            return super().get_app_list(request, app_label)
        return admin_navigation.app_list(
            request, lambda: super(BusanAdminSite, self).get_app_list(request)
        )

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable=cacheable)

        @wraps(view)
        def gated(request, *args, **kwargs):
            refuse_signed_in_non_staff(request)
            refusal = self.mfa_refusal(request)
            return refusal if refusal is not None else inner(request, *args, **kwargs)

        return gated

    def mfa_refusal(self, request):
        """A redirect for staff who must set up or use MFA first, or None to let them in."""
        if not getattr(settings, "ADMIN_REQUIRE_MFA", False):
            return None
        user = request.user
        if not (user.is_active and user.is_staff):
            return None  # the admin's own check sends them to the login page
        if request.path == reverse("admin:logout", current_app=self.name):
            return None
        if not is_mfa_enabled(user):
            messages.warning(
                request,
                _("The back office requires two-factor authentication. Please set it up first."),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not session_used_mfa(request):
            messages.info(request, _("Please confirm your identity with your authenticator app."))
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return None
