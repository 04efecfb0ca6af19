"""busanhub.db.array_literal: what PostgreSQL reads back is what was given."""

import uuid

import pytest
from django.db import connection

from busanhub.db import array_literal

TEXTS = [
    "",
    "NULL",
    "null",
    'a "quoted" word',
    "back\\slash\\",
    "{braces},commas,",
    "single ' quote",
    " spaces ",
    "부산 블록체인",
    '\\"',
]


def test_array_literal_text_form():
    assert array_literal([1, -2, None, True, False]) == "{1,-2,NULL,t,f}"
    assert array_literal(['a"b', "c\\d"]) == '{"a\\"b","c\\\\d"}'
    assert array_literal([]) == "{}"
    assert array_literal(n for n in (3, 4)) == "{3,4}"  # any iterable, read once
    assert array_literal(["buy", ""]) == '{"buy",""}'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cast", "values"),
    [
        ("bigint[]", [0, 1, -1, 2**63 - 1, -(2**63), None]),
        ("text[]", [*TEXTS, None]),
        ("varchar[]", TEXTS),
        ("boolean[]", [True, False, None]),
        ("uuid[]", [uuid.UUID(int=0), uuid.uuid4(), None]),
        # lists of one plain type take the joined path: none of its elements may be misread
        ("bigint[]", [0, -1, 2**63 - 1]),
        ("uuid[]", [uuid.UUID(int=0), uuid.uuid4()]),
        ("text[]", ["", "buy", "NULL", "{braces},commas,", " spaces ", "부산"]),
        ("text[]", ['a","b', "c"]),
        ("text[]", ["a", 'quote " inside']),
        ("text[]", ["back\\slash", "d"]),
    ],
)
def test_array_literal_reads_back(cast, values):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{cast}", [array_literal(values)])
        assert cursor.fetchone()[0] == values
