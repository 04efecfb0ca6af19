"""Helpers for hand-written SQL on PostgreSQL."""

from collections.abc import Iterable


def array_literal(values: Iterable) -> str:
    """`values` as a PostgreSQL array's text form, e.g. `{1,2,NULL,"a \\"b\\""}`, to pass as one
    parameter cast to an array type (`%s::bigint[]`).

    psycopg2 renders a Python list as `ARRAY[...]` with every element a parameter of its own:
    rendered in Python, then parsed by the server's SQL grammar one element at a time, which
    for the hundreds of elements of a batch costs more than the statement's work. The text form
    is one string literal that the array type's input function reads. None is NULL, booleans
    are t and f, integers are written as they are, and every other value is its str() quoted,
    with backslashes and double quotes escaped."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
