"""Structural checks of the W3C VC Data Model 2.0 (credentials and presentations). No Django.

`credential_errors` / `presentation_errors` return a list of human-readable problems (empty
when the document conforms). JSON-LD processing runs over the offline loader, so an unknown
context or a redefined protected term is reported, never fetched.
"""

import re
from datetime import datetime

from . import jsonld, relatedresource

VC_V2 = "https://www.w3.org/ns/credentials/v2"
URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
DATETIME_RE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
LANGUAGE_VALUE_KEYS = {"@value", "@language", "@direction"}
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def is_url(value) -> bool:
    return isinstance(value, str) and bool(URL_RE.match(value))


def parse_datetime(value) -> datetime | None:
    """An xsd:dateTime as an aware datetime (naive values are read as UTC), else None."""
    if not isinstance(value, str) or not DATETIME_RE.match(value):
        return None
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_context(document: dict, errors: list[str]) -> bool:
    ctx = document.get("@context")
    if not isinstance(ctx, list) or not ctx or ctx[0] != VC_V2:
        errors.append(f"@context: the first context must be {VC_V2}")
        return False
    for item in ctx[1:]:
        if isinstance(item, str):
            if not jsonld.known_context(item):
                errors.append(f"@context: unknown context {item!r} is refused (not fetched)")
        elif not isinstance(item, dict):
            errors.append("@context: every context is a URL or an object")
    return not errors


def _check_types(document: dict, required: str, errors: list[str], where: str = "type") -> None:
    types = document.get("type")
    if types is None:
        errors.append(f"{where}: missing")
        return
    if not all(isinstance(t, str) and t for t in _as_list(types)):
        errors.append(f"{where}: every type is a string")
        return
    if required and required not in _as_list(types):
        errors.append(f"{where}: must include {required}")


def _check_language_values(value, where: str, errors: list[str]) -> None:
    for item in _as_list(value):
        if isinstance(item, str):
            continue
        if isinstance(item, dict) and "@value" in item and set(item) <= LANGUAGE_VALUE_KEYS:
            continue
        errors.append(
            f"{where}: a string or language value objects (@value, @language, @direction)"
        )
        return


def _check_typed_objects(document: dict, key: str, errors: list[str], *, id_required=False):
    if key not in document:
        return
    for item in _as_list(document[key]):
        if not isinstance(item, dict):
            errors.append(f"{key}: every entry is an object")
            continue
        if "type" not in item:
            errors.append(f"{key}: every entry has a type")
        elif not all(isinstance(t, str) for t in _as_list(item["type"])):
            errors.append(f"{key}.type: every type is a string")
        if "id" in item and not is_url(item["id"]):
            errors.append(f"{key}.id: a single URL")
        elif id_required and "id" not in item:
            errors.append(f"{key}.id: missing")


def _check_expansion(document: dict, errors: list[str]) -> None:
    try:
        types = jsonld.node_types(document)
    except jsonld.JsonLdProcessingError as exc:
        errors.append(f"JSON-LD: {exc}")
        return
    for type_iri in types:
        if not is_url(type_iri):
            errors.append(f"type: {type_iri!r} does not map to a URL in the @context")


def _check_id(document: dict, errors: list[str], where: str = "id") -> None:
    if "id" in document and not is_url(document["id"]):
        errors.append(f"{where}: a single URL")


def credential_errors(document, *, require_issuer: bool = True) -> list[str]:
    """Problems with a credential (without or with proof) under the VC Data Model 2.0."""
    if not isinstance(document, dict):
        return ["credential: a JSON object"]
    errors: list[str] = []
    if not _check_context(document, errors):
        return errors
    _check_types(document, "VerifiableCredential", errors)
    _check_id(document, errors)
    if "issuer" in document or require_issuer:
        issuer = document.get("issuer")
        if isinstance(issuer, dict):
            if not is_url(issuer.get("id")):
                errors.append("issuer.id: a URL")
            for key in ("name", "description"):
                if key in issuer:
                    _check_language_values(issuer[key], f"issuer.{key}", errors)
        elif not is_url(issuer):
            errors.append("issuer: a URL or an object with an id URL")
    subjects = document.get("credentialSubject")
    if subjects is None:
        errors.append("credentialSubject: missing")
    else:
        subject_list = _as_list(subjects)
        if not subject_list or not all(isinstance(s, dict) and s for s in subject_list):
            errors.append("credentialSubject: one or more objects, each with at least one claim")
        else:
            for subject in subject_list:
                _check_id(subject, errors, "credentialSubject.id")
    for key in ("name", "description"):
        if key in document:
            _check_language_values(document[key], key, errors)
    valid_from = valid_until = None
    if "validFrom" in document:
        valid_from = parse_datetime(document["validFrom"])
        if valid_from is None:
            errors.append("validFrom: an xsd:dateTime")
    if "validUntil" in document:
        valid_until = parse_datetime(document["validUntil"])
        if valid_until is None:
            errors.append("validUntil: an xsd:dateTime")
    if valid_from and valid_until and valid_until < valid_from:
        errors.append("validUntil: before validFrom")
    _check_typed_objects(document, "credentialStatus", errors)
    _check_typed_objects(document, "credentialSchema", errors, id_required=True)
    for key in ("evidence", "refreshService", "termsOfUse", "proof"):
        _check_typed_objects(document, key, errors)
    if "relatedResource" in document:
        errors.extend(
            f"{field}: {problem}"
            for field, problem in relatedresource.errors(document["relatedResource"])
        )
    if not errors:
        _check_expansion(document, errors)
    return errors


def presentation_errors(document) -> list[str]:
    """Problems with a presentation's own structure (its credentials are checked apart)."""
    if not isinstance(document, dict):
        return ["presentation: a JSON object"]
    errors: list[str] = []
    if not _check_context(document, errors):
        return errors
    _check_types(document, "VerifiablePresentation", errors)
    _check_id(document, errors)
    if "holder" in document:
        holder = document["holder"]
        if isinstance(holder, dict):
            if not is_url(holder.get("id")):
                errors.append("holder.id: a URL")
        elif not is_url(holder):
            errors.append("holder: a URL or an object with an id URL")
    for credential in _as_list(document.get("verifiableCredential", [])):
        if not isinstance(credential, dict):
            errors.append("verifiableCredential: every entry is an object")
        elif "EnvelopedVerifiableCredential" in _as_list(credential.get("type", [])):
            continue
        else:
            errors.extend(
                f"verifiableCredential: {e}"
                for e in credential_errors(credential, require_issuer=True)
            )
    if not errors:
        _check_expansion(document, errors)
    return errors
