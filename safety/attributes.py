"""Answers to a category's Open311 attributes: parse and check them (no Django imports).

`definitions` are dicts {code, datatype, required, variable, values: [keys]}; `raw` maps a
code to a list of submitted strings. The result maps a code to its normalised JSON value.
"""

import math
from datetime import datetime

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_STRING = 255
MAX_TEXT = 4000


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue; the caller translates it."""
    return message


class AnswerErrors(ValueError):
    """Every problem found, as {code: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{code}: {message}" for code, message in errors.items()))
        self.errors = errors


def parse_datetime(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed


def clean_answers(definitions: list[dict], raw: dict[str, list[str]]) -> dict:
    """Checks every answer against its definition; raises AnswerErrors listing all problems."""
    errors: dict[str, str] = {}
    answers: dict = {}
    known = {definition["code"] for definition in definitions}
    for code in raw:
        if code not in known:
            errors[code] = gettext_noop("This question does not belong to the category.")
    for definition in definitions:
        if not definition.get("variable", True):
            continue
        code = definition["code"]
        values = [value for value in raw.get(code, []) if str(value).strip() != ""]
        datatype = definition["datatype"]
        if not values:
            if definition.get("required"):
                errors[code] = gettext_noop("This answer is required.")
            continue
        if datatype != "multivaluelist" and len(values) > 1:
            errors[code] = gettext_noop("Only one value is accepted.")
            continue
        value = str(values[0]).strip()
        if datatype == "string":
            if "\n" in value or len(value) > MAX_STRING:
                errors[code] = gettext_noop("Enter one line of at most 255 characters.")
                continue
            answers[code] = value
        elif datatype == "text":
            if len(value) > MAX_TEXT:
                errors[code] = gettext_noop("Enter at most 4000 characters.")
                continue
            answers[code] = value
        elif datatype == "number":
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                errors[code] = gettext_noop("Enter a number.")
                continue
            answers[code] = int(number) if number.is_integer() else number
        elif datatype == "datetime":
            parsed = parse_datetime(value)
            if parsed is None:
                errors[code] = gettext_noop(
                    "Enter a date and time in ISO 8601 form, e.g. 2026-11-23T10:00."
                )
                continue
            answers[code] = parsed.isoformat()
        elif datatype == "singlevaluelist":
            if value not in definition.get("values", []):
                errors[code] = gettext_noop("Choose one of the listed values.")
                continue
            answers[code] = value
        elif datatype == "multivaluelist":
            chosen = [str(item).strip() for item in values]
            if any(item not in definition.get("values", []) for item in chosen):
                errors[code] = gettext_noop("Choose only listed values.")
                continue
            answers[code] = sorted(set(chosen))
    if errors:
        raise AnswerErrors(errors)
    return answers
