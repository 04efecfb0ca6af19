"""Canonical JSON (RFC 8785, JCS) and the envelope digests that the anchoring pipeline anchors.

No Django imports: the stand-alone verifier uses this module too.
"""

import hashlib
import json
from typing import Any

import rfc8785


class CanonicalizationError(ValueError):
    """The value cannot be canonicalized (a float that is NaN/infinite, a non-JSON type...)."""


_SAFE_INTEGER = 2**53 - 1  # JCS writes numbers as ECMAScript does: exact only up to 2^53 - 1


def _is_plain(value: Any) -> bool:
    """No floats, integers within ±(2^53 - 1), string keys: JSON whose JCS text `json.dumps`
    also writes, provided the text is printable ASCII without escapes (checked after)."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_plain(item) for item in value)
    return False


def canonicalize(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value.

    Records are mostly integers and printable ASCII strings (ids, codes, amounts); for those,
    `json.dumps` with sorted keys and no spaces writes exactly the JCS text (ASCII keys sort the
    same by code point as by UTF-16 unit; nothing needs escaping) at a fraction of the cost of
    the pure-Python canonicaliser, which every other value goes through. A test compares both
    on random values.
    """
    if _is_plain(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if text.isascii() and text.isprintable() and "\\" not in text:
            return text.encode()
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
