"""EPCIS times: an ISO 8601 date-time with its zone (capture's eventTime, a sensor report's
time, the query's GE_/LT_ parameters). No Django."""

from datetime import datetime


def parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time zone is required")
    return moment
