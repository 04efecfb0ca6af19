"""Validation against the GS1 EPCIS 2.0 JSON schema (copied into logistics/schemas/).

Two validators of the same schema: `fastjsonschema`, compiled once per process, decides
quickly whether a document is valid; `jsonschema` lists the errors with their JSON paths when
it is not (its messages are the ones partners see). The fast one is built to be no more
lenient than the reference one (same formats checked; see `_fast_options`), so a document it
accepts is one `jsonschema` accepts too; anything it refuses is judged by `jsonschema` again.
"""

import json
import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import fastjsonschema
from jsonschema import Draft7Validator

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "EPCIS-JSON-Schema.json"

logger = logging.getLogger(__name__)


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


def _fast_options(schema: dict) -> dict | None:
    """fastjsonschema options mirroring the reference validator, or None if it cannot.

    `jsonschema` checks a format only when its checker is available (date-time and uri need
    optional packages that are not installed), while fastjsonschema checks its own regexes:
    a format the reference does not check is accepted as is. A format the reference does check
    would need fastjsonschema's own (different) rules, so the fast path is not used at all.
    """
    checked = set(validator().format_checker.checkers)
    used = _formats_used(schema)
    if used & checked:
        return None
    return {
        "use_default": False,  # never fill in defaults: validation must not change the document
        "use_formats": bool(used),
        "formats": dict.fromkeys(used, _accept),
    }


def _accept(_value: object) -> bool:
    return True


@lru_cache(maxsize=1)
def fast_validator() -> Callable[[object], object] | None:
    """The compiled schema (about a second to build, once per process), or None if unusable."""
    schema = _schema()
    options = _fast_options(schema)
    if options is None:
        return None
    try:
        return fastjsonschema.compile(schema, **options)
    except Exception:  # a construct fastjsonschema cannot compile: jsonschema alone then
        logger.warning("EPCIS schema not compiled by fastjsonschema", exc_info=True)
        return None


def is_valid_fast(document: object) -> bool:
    """True when the compiled schema accepts the document (False: ask `errors`)."""
    compiled = fast_validator()
    if compiled is None:
        return False
    try:
        compiled(document)
    except fastjsonschema.JsonSchemaException:
        return False
    except Exception:  # noqa: BLE001 - a failure of the fast path is never a verdict
        return False
    return True


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
