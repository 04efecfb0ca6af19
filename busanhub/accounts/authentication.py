"""DRF authentication of the portal's API (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .user_rows import token_with_user


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`, with the token and its user read by one prepared
    statement (user_rows.py) instead of the ORM's `select_related` query: the same answers
    (DRF's messages, so its translations), and a key holding a NUL, which PostgreSQL cannot
    compare, is an invalid token (401), not a database error."""

    def authenticate_credentials(self, key):
        found = None if "\x00" in key else token_with_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, token)
