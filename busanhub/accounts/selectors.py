"""Reads on accounts that other apps use."""

from allauth.account.models import EmailAddress

from busanhub.accounts.models import User


def user_with_verified_email(*, email: str) -> User | None:
    """The active user who has verified `email` (case-insensitive), else None: money sent
    "to an email" goes only to whoever proved they read that mailbox."""
    address = (
        EmailAddress.objects.select_related("user")
        .filter(email__iexact=(email or "").strip(), verified=True, user__is_active=True)
        .first()
    )
    return address.user if address is not None else None
