"""W3C date-times (https://www.w3.org/TR/NOTE-datetime), as Open311 GeoReport v2 takes them.

The six profiles: YYYY, YYYY-MM, YYYY-MM-DD, and a full date with hh:mm, hh:mm:ss or hh:mm:ss.s
plus a time zone designator (Z or ±hh:mm). A date without time names a whole period (a year, a
month, a day) in the jurisdiction's own time zone, which is given by the caller.
"""

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_W3C = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tzd>Z|[+-]\d{2}:\d{2}))?)?)?"
)


def w3c_period(value: str, *, local: tzinfo) -> tuple[datetime, datetime] | None:
    """The [start, end) a W3C date-time names, or None when it is not one.

    A full date-time names an instant (start == end); a year, month or day names the period
    from its first instant up to the first instant of the next one, in `local` time.
    """
    match = _W3C.fullmatch(value.strip())
    if match is None:
        return None
    parts = match.groupdict()
    year = int(parts["year"])
    month = int(parts["month"] or 1)
    day = int(parts["day"] or 1)
    try:
        if parts["hour"] is None:
            start = datetime(year, month, day, tzinfo=local)
            if parts["day"]:
                following = start.date() + timedelta(days=1)
            elif parts["month"]:
                following = (start.replace(day=28) + timedelta(days=4)).replace(day=1).date()
            else:
                following = start.replace(year=year + 1).date()
            end = datetime(following.year, following.month, following.day, tzinfo=local)
            return start, end
        fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
        moment = datetime(
            year,
            month,
            day,
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=_zone(parts["tzd"]),
        )
    except (ValueError, OverflowError):
        return None
    return moment, moment


def _zone(designator: str) -> tzinfo:
    if designator == "Z":
        return UTC
    sign = 1 if designator[0] == "+" else -1
    hours, minutes = int(designator[1:3]), int(designator[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("time zone offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
