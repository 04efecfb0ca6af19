"""Writes on accounts. Views, admin actions and commands call these."""

from django.conf import settings
from django.db import transaction

from busanhub.accounts.models import Consent, User

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}


@transaction.atomic
def user_profile_update(*, user: User, name: str, preferred_language: str) -> User:
    """Updates the citizen's own profile fields. Atomic; validates before saving."""
    user.name = name
    user.preferred_language = preferred_language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["name", "preferred_language"])
    return user


def user_language_set(*, user: User, language: str) -> bool:
    """Remembers the language the user picked; returns False (and changes nothing) for a
    language the portal does not offer. Idempotent."""
    if language not in LANGUAGE_CODES:
        return False
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return True


@transaction.atomic
def api_token_rotate(*, user: User) -> str:
    """Replaces the user's REST API token with a new one and returns its key (shown once).

    Atomic: the old token stops working in the same transaction that creates the new one.
    """
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


@transaction.atomic
def api_token_revoke(*, user: User) -> bool:
    """Deletes the user's REST API token; True when there was one."""
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


@transaction.atomic
def consent_record(*, user: User, versions: dict[str, str]) -> list[Consent]:
    """Records that `user` accepted each document's version now ({"terms": "2026-12-01", …}).

    Atomic and idempotent: accepting a version already accepted keeps the first time.
    """
    consents = []
    for document, version in sorted(versions.items()):
        consent = Consent(user=user, document=document, version=version)
        consent.full_clean(exclude=["user"], validate_unique=False)
        consent, _created = Consent.objects.get_or_create(
            user=user, document=document, version=version
        )
        consents.append(consent)
    return consents
