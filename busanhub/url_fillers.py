"""One reverse() for a page of rows whose URLs differ by one argument (a public id, a digest)."""

import uuid
from collections.abc import Callable

from django.urls import reverse

UUID_PLACEHOLDER = str(uuid.UUID(int=0))


def url_filler(viewname: str, placeholder: str = UUID_PLACEHOLDER) -> Callable[[object], str]:
    """`reverse(viewname, args=[value])` for many values, reversed once: the URL is built with
    `placeholder` (an argument the pattern accepts, standing once in the URL) and each value is
    put in its place. For the rows of a page, where a reverse() per row cost more than the rest
    of the row; the values must be ones the pattern accepts (ids and digests read from rows)."""
    before, after = reverse(viewname, args=[placeholder]).split(placeholder)
    return lambda value: f"{before}{value}{after}"
