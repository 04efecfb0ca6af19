"""Validation against the GS1 EPCIS 2.0 JSON schema (copied into logistics/schemas/).

Two validators of the same schema: `jsonschema_rs` (compiled once per process, in Rust)
decides quickly whether a document is valid; `jsonschema` lists the errors with their JSON paths
when it is not (its messages are the ones partners see). The fast one is built to be no more
lenient than the reference one (same formats checked; see `_formats_unchecked`), so a document
it accepts is one `jsonschema` accepts too; anything it refuses is judged by `jsonschema` again.
(It replaced `fastjsonschema`, whose generated Python cost ~0.04 ms an event, a tenth of
capture's CPU; the Rust validator ~0.002 ms: BENCHMARKS.md, B-Fresh.)
"""

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft7Validator

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "EPCIS-JSON-Schema.json"


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


@lru_cache(maxsize=1)
def validator() -> Draft7Validator:
    return Draft7Validator(_schema(), format_checker=Draft7Validator.FORMAT_CHECKER)


def _formats_used(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        for value in node.values():
            found |= _formats_used(value)
        return found
    if isinstance(node, list):
        return set().union(*(_formats_used(item) for item in node)) if node else set()
    return set()


def _formats_unchecked(schema: dict) -> bool:
    """Whether the reference validator checks none of the formats the schema uses.

    `jsonschema` checks a format only when its checker is available (date-time and uri need
    optional packages that are not installed), so the fast validator checks no format at all
    (`validate_formats=False`). A format the reference does check would need the fast one's
    own (different) rules for it, so the fast path is not used at all then.
    """
    checked = set(validator().format_checker.checkers)
    return not (_formats_used(schema) & checked)


@lru_cache(maxsize=1)
def fast_validator() -> Callable[[object], bool] | None:
    """The compiled schema's `is_valid` (built once per process), or None when the reference
    checks a format the schema uses (then `jsonschema` alone decides)."""
    schema = _schema()
    if not _formats_unchecked(schema):
        return None
    return jsonschema_rs.Draft7Validator(schema, validate_formats=False).is_valid


def is_valid_fast(document: object) -> bool:
    """True when the compiled schema accepts the document (False: ask `errors`)."""
    is_valid = fast_validator()
    if is_valid is None:
        return False
    try:
        return is_valid(document) is True
    except Exception:  # noqa: BLE001 - a value it cannot take (not JSON) is never a verdict
        return False


def errors(document: object, limit: int = 20) -> list[dict]:
    """Schema errors as [{"path": "$.epcisBody.eventList[0].eventTime", "message": ...}]."""
    if is_valid_fast(document):
        return []
    found = []
    for error in validator().iter_errors(document):
        found.append({"path": error.json_path, "message": error.message[:300]})
        if len(found) >= limit:
            break
    found.sort(key=lambda error: error["path"])
    return found
