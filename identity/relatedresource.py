"""`relatedResource` (VC Data Model 2.0 §5.3): structure and digests. No Django imports.

Each entry is an object with an `id` (a URL, unique in the list) and at least one of
`digestSRI` (Subresource Integrity: `sha256-`, `sha384-` or `sha512-` and the base64 digest)
and `digestMultibase` (a multibase, base58btc `z` or base64url `u`, multihash of sha2-256,
-384 or -512). `mediaType` is optional.
"""

import base64
import binascii
import hashlib
import re

from . import multikey

URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
SRI_ALGORITHMS = {"sha256": 32, "sha384": 48, "sha512": 64}
# multihash code -> (hashlib name, digest length)
MULTIHASH = {0x12: ("sha256", 32), 0x20: ("sha384", 48), 0x13: ("sha512", 64)}


def _sri_parts(value) -> tuple[str, bytes] | None:
    if not isinstance(value, str):
        return None
    algorithm, sep, encoded = value.partition("-")
    if not sep or algorithm not in SRI_ALGORITHMS:
        return None
    try:
        digest = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(digest) != SRI_ALGORITHMS[algorithm]:
        return None
    return algorithm, digest


def _multibase_parts(value) -> tuple[str, bytes] | None:
    if not isinstance(value, str) or len(value) < 2:
        return None
    try:
        if value[0] == "z":
            raw = multikey.b58_decode(value)
        elif value[0] == "u":
            raw = multikey.b64url_decode(value)
        else:
            return None
    except (multikey.KeyError_, ValueError, binascii.Error):
        return None
    if len(raw) < 2 or raw[0] not in MULTIHASH:
        return None
    algorithm, length = MULTIHASH[raw[0]]
    if raw[1] != length or len(raw) != 2 + length:
        return None
    return algorithm, raw[2:]


def errors(value) -> list[tuple[str, str]]:
    """(field, problem) pairs for a `relatedResource` value; fields as `relatedResource[1].id`."""
    entries = value if isinstance(value, list) else [value]
    if not entries:
        return [("relatedResource", "one or more objects")]
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        where = f"relatedResource[{position}]"
        if not isinstance(entry, dict):
            problems.append((where, "an object with an id and a digest"))
            continue
        resource_id = entry.get("id")
        if not isinstance(resource_id, str) or not URL_RE.match(resource_id):
            problems.append((f"{where}.id", "a URL"))
        elif resource_id in seen:
            problems.append((f"{where}.id", "already listed: each resource appears once"))
        else:
            seen.add(resource_id)
        if "digestSRI" not in entry and "digestMultibase" not in entry:
            problems.append((where, "needs digestSRI or digestMultibase"))
        if "digestSRI" in entry and _sri_parts(entry["digestSRI"]) is None:
            problems.append(
                (f"{where}.digestSRI", "an SRI digest: sha256-, sha384- or sha512- and base64")
            )
        if "digestMultibase" in entry and _multibase_parts(entry["digestMultibase"]) is None:
            problems.append(
                (
                    f"{where}.digestMultibase",
                    "a multibase (z or u) sha2-256, -384 or -512 multihash",
                )
            )
        if "mediaType" in entry and not isinstance(entry["mediaType"], str):
            problems.append((f"{where}.mediaType", "a string"))
    return problems


def digests_match(entry: dict, content: bytes) -> bool:
    """Do all the digests an (already valid) entry gives match `content`?"""
    for parts in (
        _sri_parts(entry.get("digestSRI")),
        _multibase_parts(entry.get("digestMultibase")),
    ):
        if parts is None:
            continue
        algorithm, expected = parts
        if hashlib.new(algorithm, content).digest() != expected:
            return False
    return True


def sri(content: bytes, algorithm: str = "sha384") -> str:
    """The SRI string of `content` (tests and documentation build examples with it)."""
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, content).digest()).decode()}"


def multibase(content: bytes, algorithm: str = "sha256") -> str:
    code = next(c for c, (name, _length) in MULTIHASH.items() if name == algorithm)
    digest = hashlib.new(algorithm, content).digest()
    return multikey.b58_encode(bytes([code, len(digest)]) + digest)
