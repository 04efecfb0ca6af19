"""Ed25519 keys as W3C Multikey / did:key, multibase encodings and JWK. No Django imports."""

import base64
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_PUB_PREFIX = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIV_PREFIX = b"\x80\x26"  # multicodec ed25519-priv


class KeyError_(ValueError):
    """A key or multibase value that cannot be decoded."""


def b58_encode(data: bytes) -> str:
    """Multibase base58btc ('z' prefix)."""
    return "z" + base58.b58encode(data).decode("ascii")


def b58_decode(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise KeyError_("not a base58btc multibase value")
    try:
        return base58.b58decode(value[1:])
    except ValueError as exc:
        raise KeyError_(f"bad base58btc: {exc}") from exc


def b64url_encode(data: bytes) -> str:
    """Multibase base64url without padding ('u' prefix)."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("u"):
        raise KeyError_("not a base64url multibase value")
    body = value[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise KeyError_(f"bad base64url: {exc}") from exc


def public_key_raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def private_key_raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_multikey(raw: bytes) -> str:
    return b58_encode(ED25519_PUB_PREFIX + raw)


def private_multikey(raw: bytes) -> str:
    return b58_encode(ED25519_PRIV_PREFIX + raw)


def decode_public_multikey(value: str) -> Ed25519PublicKey:
    data = b58_decode(value)
    if not data.startswith(ED25519_PUB_PREFIX) or len(data) != 34:
        raise KeyError_("not an Ed25519 public Multikey")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def decode_private_multikey(value: str) -> Ed25519PrivateKey:
    data = b58_decode(value)
    if not data.startswith(ED25519_PRIV_PREFIX) or len(data) != 34:
        raise KeyError_("not an Ed25519 private Multikey")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 key pair with its controller DID and verification method id."""

    private_key: Ed25519PrivateKey
    controller: str
    verification_method: str

    @property
    def public_multibase(self) -> str:
        return public_multikey(public_key_raw(self.private_key))


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def did_key_for(private_key: Ed25519PrivateKey) -> KeyPair:
    """The did:key of an Ed25519 key: did:key:z6Mk…#z6Mk…"""
    multibase = public_multikey(public_key_raw(private_key))
    did = f"did:key:{multibase}"
    return KeyPair(
        private_key=private_key, controller=did, verification_method=f"{did}#{multibase}"
    )


def did_key_public(did_or_vm: str) -> Ed25519PublicKey:
    """The public key a did:key (or one of its verification methods) names."""
    if not isinstance(did_or_vm, str) or not did_or_vm.startswith("did:key:"):
        raise KeyError_("not a did:key")
    did, _, fragment = did_or_vm.partition("#")
    multibase = did.removeprefix("did:key:")
    if fragment and fragment != multibase:
        raise KeyError_("did:key fragment does not match its key")
    return decode_public_multikey(multibase)


def did_key_document(did: str) -> dict:
    multibase = did.removeprefix("did:key:")
    did_key_public(did)
    vm = f"{did}#{multibase}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": did, "publicKeyMultibase": multibase}
        ],
        "authentication": [vm],
        "assertionMethod": [vm],
    }


def private_jwk(private_key: Ed25519PrivateKey, *, kid: str = "") -> dict:
    """RFC 8037 OKP JWK of the private key (for export by its owner)."""

    def enc(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": enc(public_key_raw(private_key)),
        "d": enc(private_key_raw(private_key)),
    }
    if kid:
        jwk["kid"] = kid
    return jwk
