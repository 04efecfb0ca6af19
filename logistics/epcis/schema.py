"""Validation against the GS1 EPCIS 2.0 JSON schema (copied into logistics/schemas/)."""

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft7Validator

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "EPCIS-JSON-Schema.json"


@lru_cache(maxsize=1)
def validator() -> Draft7Validator:
    return Draft7Validator(
        json.loads(SCHEMA_PATH.read_text()), format_checker=Draft7Validator.FORMAT_CHECKER
    )


def errors(document: object, limit: int = 20) -> list[dict]:
    """Schema errors as [{"path": "$.epcisBody.eventList[0].eventTime", "message": ...}]."""
    found = []
    for error in validator().iter_errors(document):
        found.append({"path": error.json_path, "message": error.message[:300]})
        if len(found) >= limit:
            break
    found.sort(key=lambda error: error["path"])
    return found
