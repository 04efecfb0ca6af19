"""Encryption at rest of private keys (Fernet, AES-128-CBC + HMAC-SHA256).

The key comes from the environment variable IDENTITY_KEY_ENCRYPTION_KEY (or the setting of the
same name): a Fernet key (urlsafe base64 of 32 bytes). When it is unset — development and
tests only — a key is derived from SECRET_KEY with HKDF, so a dev database stays usable
across restarts; production must set it.
"""

import base64
import functools
import os

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from identity import multikey


def _fernet() -> Fernet:
    configured = getattr(settings, "IDENTITY_KEY_ENCRYPTION_KEY", "") or os.environ.get(
        "IDENTITY_KEY_ENCRYPTION_KEY", ""
    )
    return _fernet_for(configured, "" if configured else settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _fernet_for(configured: str, secret_key: str) -> Fernet:
    """A pure function of the key material, read afresh on every call above (settings may
    change); cached, since HKDF cost every issue more than its signature."""
    if configured:
        try:
            return Fernet(configured.encode("ascii"))
        except ValueError as exc:
            raise ImproperlyConfigured(
                "IDENTITY_KEY_ENCRYPTION_KEY is a Fernet key (urlsafe base64 of 32 bytes)"
            ) from exc
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"busanhub-identity", info=b"key-encryption"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_private_key(private_key: Ed25519PrivateKey) -> str:
    return _fernet().encrypt(multikey.private_key_raw(private_key)).decode("ascii")


def decrypt_private_key(token: str) -> Ed25519PrivateKey:
    try:
        raw = _fernet().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "a private key cannot be decrypted: IDENTITY_KEY_ENCRYPTION_KEY changed?"
        ) from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


def issuer_private_key(token: str) -> Ed25519PrivateKey:
    """`decrypt_private_key` for an issuer's key, which signs every credential: the key object
    is kept per process (Fernet's HMAC and AES cost an issue more than its signature). Keyed by
    the token and the key-encryption material, so a changed key is read afresh. Citizens' keys
    are never kept: they go through `decrypt_private_key`."""
    configured = getattr(settings, "IDENTITY_KEY_ENCRYPTION_KEY", "") or os.environ.get(
        "IDENTITY_KEY_ENCRYPTION_KEY", ""
    )
    return _issuer_private_key(token, configured, "" if configured else settings.SECRET_KEY)


@functools.lru_cache(maxsize=32)
def _issuer_private_key(token: str, configured: str, secret_key: str) -> Ed25519PrivateKey:
    try:
        raw = _fernet_for(configured, secret_key).decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "a private key cannot be decrypted: IDENTITY_KEY_ENCRYPTION_KEY changed?"
        ) from exc
    return Ed25519PrivateKey.from_private_bytes(raw)
