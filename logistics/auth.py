"""Who may speak EPCIS: a partner's API key, or a signed-in member of a party or staff."""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .models import PartnerKey, Party

CAPTURE_GROUPS = ("staff-logistics",)
READ_GROUPS = ("staff-logistics", "auditor")


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer bf_…` or `X-API-Key: bf_…`; request.auth is the PartnerKey."""

    def authenticate(self, request):
        raw = request.headers.get("X-API-Key", "")
        header = request.headers.get("Authorization", "")
        if not raw and header.startswith("Bearer bf_"):
            raw = header[len("Bearer ") :]
        if not raw:
            return None
        key = (
            PartnerKey.objects.select_related("party")
            .filter(key_hash=PartnerKey.hash_key(raw.strip()), is_active=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("invalid API key")
        # A deactivated party's keys are disabled, not revoked: reactivating the party (staff
        # only) brings them back. Capture re-checks the party under a row lock (services/checks.py).
        if not key.party.is_active:
            raise exceptions.AuthenticationFailed("this API key's party is deactivated")
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return "Bearer"


def _member_parties(user):
    """The active parties a signed-in user is a member of (a deactivated party acts for nobody
    until staff reactivate it)."""
    return Party.objects.filter(members=user, is_active=True).order_by("pk")


def acting_party(request) -> Party | None:
    if isinstance(request.auth, PartnerKey):
        return request.auth.party
    user = request.user
    if user.is_authenticated:
        return _member_parties(user).first()
    return None


def acting_parties(request) -> list[Party]:
    """The parties a request acts for: an API key's party, or every active party of a member."""
    if isinstance(request.auth, PartnerKey):
        return [request.auth.party]
    user = request.user
    if user.is_authenticated:
        return list(_member_parties(user))
    return []


def _in_groups(user, names) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.groups.filter(name__in=names).exists()
    )


class CanCapture(permissions.BasePermission):
    def has_permission(self, request, view):
        if isinstance(request.auth, PartnerKey):
            return True
        if _in_groups(request.user, CAPTURE_GROUPS):
            return True
        return request.user.is_authenticated and _member_parties(request.user).exists()


class CanQuery(permissions.BasePermission):
    def has_permission(self, request, view):
        if isinstance(request.auth, PartnerKey):
            return True
        if _in_groups(request.user, READ_GROUPS):
            return True
        return request.user.is_authenticated and _member_parties(request.user).exists()


def sees_everything(request) -> bool:
    return not isinstance(request.auth, PartnerKey) and _in_groups(request.user, READ_GROUPS)


def edits_everything(request) -> bool:
    """Logistics staff (not auditors, not API keys) edit every party's master data."""
    return not isinstance(request.auth, PartnerKey) and _in_groups(request.user, CAPTURE_GROUPS)


def user_edits_everything(user) -> bool:
    return _in_groups(user, CAPTURE_GROUPS)


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "logistics.auth.PartnerKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner's API key (bf_…), also accepted as the X-API-Key header.",
        }
