"""Helpers for hand-written SQL on PostgreSQL."""

import uuid
from collections.abc import Iterable

# Element types whose str() is an array element as it is (no quotes needed, never NULL).
_PLAIN = frozenset({int, uuid.UUID})


def array_literal(values: Iterable) -> str:
    """`values` as a PostgreSQL array's text form, e.g. `{1,2,NULL,"a \\"b\\""}`, to pass as one
    parameter cast to an array type (`%s::bigint[]`).

    psycopg2 renders a Python list as `ARRAY[...]` with every element a parameter of its own:
    rendered in Python, then parsed by the server's SQL grammar one element at a time, which
    for the hundreds of elements of a batch costs more than the statement's work. The text form
    is one string literal that the array type's input function reads. None is NULL, booleans
    are t and f, integers are written as they are, and every other value is its str() quoted,
    with backslashes and double quotes escaped.

    A list of only integers or UUIDs, or of strings without a quote or a backslash (the common
    cases: ids, amounts, codes), is joined in one C-level pass: calling a Python function per
    element cost more than the rest of an order placement's parameters together."""
    if values.__class__ is not list and values.__class__ is not tuple:
        values = list(values)
    kinds = set(map(type, values))
    if kinds <= _PLAIN:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds == {str}:
        joined = '","'.join(values)
        # no element holds a backslash or a quote: the only quotes are the separators'
        if "\\" not in joined and joined.count('"') == 2 * (len(values) - 1):
            return '{"' + joined + '"}'
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
