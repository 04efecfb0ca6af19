"""The EPCIS event hash ID of CBV 2.0 §8.9 (pure: no Django).

An event's pre-hash string is `eventType=<type>` followed by its properties in the canonical
order below, each written `name=value` (or `name` followed by its children for structures),
with no separators. Values are normalised so that any two spellings of the same event hash
alike: times in UTC with millisecond precision and a `Z`, numbers without redundant zeros,
bare words of every field the EPCIS context types `@vocab` (`vocabulary.py`) and old
`urn:epcglobal:cbv:` URNs as GS1 web vocabulary URIs, EPC URNs as GS1 Digital Link URIs on
id.gs1.org, CURIE keys of extensions expanded with the document's @context as
`{namespace}name` and CURIE values of extensions as full IRIs. Repeated elements are sorted
lexically (by UTF-8 code point).
`eventID`, `recordTime`, `errorDeclaration` and `certificationInfo` do not take part.
The ID is `ni:///sha-256;<hex of SHA-256 of the UTF-8 pre-hash string>?ver=CBV2.0`.
"""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from . import identifiers, vocabulary

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"

_OLD_URNS = {
    "urn:epcglobal:cbv:bizstep:": CBV + "BizStep-",
    "urn:epcglobal:cbv:disp:": CBV + "Disp-",
    "urn:epcglobal:cbv:btt:": CBV + "BTT-",
    "urn:epcglobal:cbv:sdt:": CBV + "SDT-",
    "urn:epcglobal:cbv:er:": CBV + "ER-",
}
_QUANTITY = [("epcClass", None), ("quantity", None), ("uom", None)]
_SENSOR_METADATA = [
    ("time", None),
    ("startTime", None),
    ("endTime", None),
    ("deviceID", None),
    ("deviceMetadata", None),
    ("rawData", None),
    ("dataProcessingMethod", None),
    ("bizRules", None),
]
_SENSOR_REPORT = [
    ("type", None),
    ("exception", None),
    ("deviceID", None),
    ("deviceMetadata", None),
    ("rawData", None),
    ("dataProcessingMethod", None),
    ("time", None),
    ("microorganism", None),
    ("chemicalSubstance", None),
    ("value", None),
    ("component", None),
    ("stringValue", None),
    ("booleanValue", None),
    ("hexBinaryValue", None),
    ("uriValue", None),
    ("minValue", None),
    ("maxValue", None),
    ("meanValue", None),
    ("sDev", None),
    ("percRank", None),
    ("percValue", None),
    ("uom", None),
    ("coordinateReferenceSystem", None),
]

# (JSON key, element name for list items, child order); child order None = a simple value.
ORDER: list[tuple[str, str | None, list | None]] = [
    ("eventTime", None, None),
    ("eventTimeZoneOffset", None, None),
    ("epcList", "epc", None),
    ("parentID", None, None),
    ("inputEPCList", "epc", None),
    ("childEPCs", "epc", None),
    ("quantityList", "quantityElement", _QUANTITY),
    ("childQuantityList", "quantityElement", _QUANTITY),
    ("inputQuantityList", "quantityElement", _QUANTITY),
    ("outputEPCList", "epc", None),
    ("outputQuantityList", "quantityElement", _QUANTITY),
    ("action", None, None),
    ("transformationID", None, None),
    ("bizStep", None, None),
    ("disposition", None, None),
    ("persistentDisposition", None, [("set", None), ("unset", None)]),
    ("readPoint", None, [("id", None)]),
    ("bizLocation", None, [("id", None)]),
    ("bizTransactionList", "bizTransaction", [("bizTransaction", None), ("type", None)]),
    ("sourceList", "source", [("source", None), ("type", None)]),
    ("destinationList", "destination", [("destination", None), ("type", None)]),
    (
        "sensorElementList",
        "sensorElement",
        [("sensorMetadata", _SENSOR_METADATA), ("sensorReport", _SENSOR_REPORT)],
    ),
]
# The element name each list holds (`sourceList` holds `source` elements, ...).
_ELEMENT_NAMES = {key: item_name for key, item_name, _ in ORDER if item_name}


def _hash_path(trail: tuple[str, ...]) -> str:
    """A context path (`sensorElementList`, `sensorReport`, `component`) as the hash names the
    value's place: its element and its name (`sensorReport.component`), or its name alone."""
    *containers, term = trail
    if not containers:
        return term
    return f"{_ELEMENT_NAMES.get(containers[-1], containers[-1])}.{term}"


# Every field the EPCIS context types `@vocab`, from the vendored context (not a hand list).
_VOCABULARY = {_hash_path(trail): found for trail, found in vocabulary.FIELDS.items()}
EXCLUDED = {"eventID", "recordTime", "errorDeclaration", "certificationInfo", "type", "@context"}
_IGNORED_KEYS = {"rdfs:comment", "comment", "#text"}
# The event keys with a place of their own (or none): every other key is an extension.
_KNOWN_KEYS = frozenset({key for key, _, _ in ORDER} | EXCLUDED | _IGNORED_KEYS)


def normalize_time(value: str) -> str:
    """An ISO 8601 date-time in UTC with millisecond precision and a Z (rounded half up)."""
    text = value.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    milliseconds = (moment.microsecond + 500) // 1000
    base = moment.replace(microsecond=0)
    if milliseconds == 1000:
        from datetime import timedelta

        base += timedelta(seconds=1)
        milliseconds = 0
    return base.strftime("%Y-%m-%dT%H:%M:%S") + f".{milliseconds:03d}Z"


def normalize_number(value: Any) -> str:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value).strip()
    if not number.is_finite():
        return str(value).strip()
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _normalize_value(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return normalize_number(value)
    if isinstance(value, str):
        # The same few strings (vocabulary, locations, EPCs) recur across a document's events.
        return _normalize_text(value, path)
    return _normalize_text_uncached(str(value), path)


def _normalize_text_uncached(value: str, path: str) -> str:
    text = value.strip()
    name = path.rsplit(".", 1)[-1]
    if text and ("time" in name.lower() and "offset" not in name.lower()):
        try:
            return normalize_time(text)
        except ValueError:
            return text
    for old, new in _OLD_URNS.items():
        if text.startswith(old):
            return new + text[len(old) :]
    vocabulary_field = _VOCABULARY.get(path)
    if vocabulary_field and text and ":" not in text:
        return vocabulary_field.expand(text)
    if text.startswith("gs1:"):
        return GS1_VOC + text[4:]
    if text.startswith("cbv:"):
        return CBV + text[4:]
    if text.startswith("urn:epc:") or text.startswith("http"):
        return identifiers.canonical(text)
    return text


# Pure function of two strings: a cached answer is the answer.
_normalize_text = lru_cache(maxsize=16_384)(_normalize_text_uncached)


def _expand_key(key: str, namespaces: dict[str, str]) -> str:
    prefix, _, rest = key.partition(":")
    if rest and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + rest
    return key


def _generic(name: str, value: Any, namespaces: dict[str, str], path: str) -> str:
    """An extension (or ILMD) element: `name=value` or `name` + its sorted children."""
    if isinstance(value, dict):
        children = sorted(
            _generic(_expand_key(key, namespaces), child, namespaces, key)
            for key, child in value.items()
            if key not in _IGNORED_KEYS and not key.startswith("@")
        )
        return name + "".join(children)
    if isinstance(value, list):
        return "".join(sorted(_generic(name, item, namespaces, path) for item in value))
    # A CURIE value whose prefix the document declares is a full IRI (CBV 2.0 §8.9.2, rule 15).
    expanded = _expand_curie(value, namespaces) if isinstance(value, str) else None
    text = expanded if expanded is not None else _normalize_value(value, path)
    return f"{name}={text}" if text else ""


def _expand_curie(value: str, namespaces: dict[str, str]) -> str | None:
    """`prefix:rest` with a declared prefix as the full IRI; None when it is no such CURIE."""
    prefix, _, rest = value.strip().partition(":")
    if rest and prefix in namespaces and not rest.startswith("//"):
        return namespaces[prefix] + rest
    return None


def _structured(
    name: str,
    value: Any,
    order: list | None,
    namespaces: dict[str, str],
    path: str,
    trail: str = "",
    leftovers: list[str] | None = None,
) -> str:
    if order is None:
        if value is None or isinstance(value, dict | list):
            return _generic(name, value, namespaces, path) if value is not None else ""
        # A CURIE in a vocabulary field (`example:Abc`) is expanded with the document's
        # @context, as JSON-LD expansion does.
        if path in _VOCABULARY and isinstance(value, str):
            expanded = _expand_curie(value, namespaces)
            if expanded is not None:
                return f"{name}={expanded}"
        text = _normalize_value(value, path)
        return f"{name}={text}" if text else ""
    if not isinstance(value, dict):
        return ""
    parts = []
    for child_name, child_order in order:
        if child_name == name:  # a typed list entry's own value (bizTransaction, source, ...)
            text = _normalize_value(value.get(child_name, ""), child_name)
            parts.append(f"={text}" if text else "")
            continue
        if child_name not in value:
            continue
        child = value[child_name]
        items = child if isinstance(child, list) else [child]
        rendered = sorted(
            _structured(
                child_name,
                item,
                child_order,
                namespaces,
                f"{name}.{child_name}",
                trail + name,
                leftovers,
            )
            for item in items
        )
        parts.append("".join(rendered))
    known = {child_name for child_name, _ in order}
    extras = []
    for key, child in value.items():
        if key in known or key in _IGNORED_KEYS or key.startswith("@"):
            continue
        expanded = _expand_key(key, namespaces)
        rendered_extra = _generic(expanded, child, namespaces, key)
        if expanded.startswith("{") or leftovers is None:
            # A user extension (a namespaced name) stays in the element that holds it.
            extras.append(rendered_extra)
        else:
            # A standard name out of its place (e.g. `bizRules` in a sensorReport) is no part
            # of the element's canonical order: it goes, with its path, among the extensions
            # at the end of the event, as in GS1's reference implementation.
            leftovers.append(trail + name + rendered_extra)
    extras.sort()
    body = "".join(parts) + "".join(extras)
    return name + body if body else ""


def namespaces_of(context: Any) -> dict[str, str]:
    """Prefix → namespace URI from a JSON-LD @context (its object entries)."""
    namespaces = {"gs1": GS1_VOC, "cbv": CBV}
    entries = context if isinstance(context, list) else [context]
    for entry in entries:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if isinstance(value, str):
                    namespaces[key] = value
    return namespaces


def pre_hash_string(event: dict, *, context: Any = None) -> str:
    namespaces = namespaces_of(context if context is not None else event.get("@context"))
    parts = ["eventType=" + str(event.get("type", ""))]
    leftovers: list[str] = []
    for key, item_name, order in ORDER:
        if key not in event:
            continue
        value = event[key]
        if item_name is not None:
            items = value if isinstance(value, list) else [value]
            rendered = sorted(
                _structured(item_name, item, order, namespaces, item_name, key, leftovers)
                for item in items
            )
            body = "".join(rendered)
            parts.append(key + body if body else "")
        else:
            parts.append(_structured(key, value, order, namespaces, key, "", leftovers))
    # ILMD and user extensions have no place in the canonical order: sorted together at the end.
    extensions = sorted(
        [
            _generic(_expand_key(key, namespaces), value, namespaces, key)
            for key, value in event.items()
            if key not in _KNOWN_KEYS and not key.startswith("@")
        ]
        + leftovers
    )
    return "".join(parts) + "".join(extensions)


def event_hash_id(event: dict, *, context: Any = None) -> str:
    """The event's hash ID, `ni:///sha-256;<64 hex>?ver=CBV2.0`."""
    digest = hashlib.sha256(pre_hash_string(event, context=context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
