"""Open311 partner API keys: issued once, stored as a hash."""

import hashlib
import secrets

from django.db import transaction

from safety.models import ApiKey


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


@transaction.atomic
def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """Issues a partner key; returns the row and the key, which is shown this once only."""
    raw_key = "o311_" + secrets.token_urlsafe(30)
    key = ApiKey(name=name.strip(), key_hash=api_key_hash(raw_key), prefix=raw_key[:8])
    key.full_clean()
    key.save()
    return key, raw_key
