"""Canonical JSON (RFC 8785, JCS) and the envelope digests that the anchoring pipeline anchors.

No Django imports: the stand-alone verifier uses this module too.
"""

import hashlib
from typing import Any

import rfc8785


class CanonicalizationError(ValueError):
    """The value cannot be canonicalized (a float that is NaN/infinite, a non-JSON type...)."""


def canonicalize(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalizationError(str(exc)) from exc


def make_envelope(*, kind: str, ref: str, version: int, data: Any) -> dict:
    return {"kind": kind, "ref": ref, "version": version, "data": data}


def envelope_digest(envelope: dict) -> str:
    """`0x` + hex of sha256(JCS(envelope)): the value anchored for a record version."""
    return "0x" + hashlib.sha256(canonicalize(envelope)).hexdigest()


def normalize_digest(value: str) -> str:
    """Lower-case `0x` + 64 hex digits, or ValueError."""
    text = value.strip().lower()
    if not text.startswith("0x"):
        text = "0x" + text
    if len(text) != 66 or any(c not in "0123456789abcdef" for c in text[2:]):
        raise ValueError("a digest is 64 hexadecimal digits, optionally prefixed by 0x")
    return text
