"""`canonical.canonicalize`: the json.dumps shortcut for plain values writes exactly what the
RFC 8785 canonicaliser writes, and everything else still goes through the canonicaliser."""

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from busanhub.chain import canonical

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(["ETH-KRW", "é", 'a"b', "a\\b", "\t", "\x7f", "\u2028", "😀", "\ue000"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=4) | st.sampled_from(["a", "B", "é", "😀", "\ue000"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def reference(value) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return None


@given(JSON)
def test_canonicalize_equals_rfc8785_on_any_json(value):
    expected = reference(value)
    if expected is None:
        with pytest.raises(canonical.CanonicalizationError):
            canonical.canonicalize(value)
    else:
        assert canonical.canonicalize(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, "x"], "A": {"z": -(2**53 - 1)}},
        {"amount": 2**53 - 1, "id": "0b1c-42"},
        {"float": 1.0},  # JCS writes 1
        {"float": 1e21},  # JCS writes 1e+21
        {"big": 2**53},  # outside JCS's exact integers: refused, as before
        {"text": "é"},
        {"text": 'say "hi"'},
        {"text": "tab\there"},
        {"\ue000": 1, "😀": 2},  # UTF-16 order differs from code-point order
    ],
)
def test_canonicalize_edge_cases(value):
    expected = reference(value)
    if expected is None:
        with pytest.raises(canonical.CanonicalizationError):
            canonical.canonicalize(value)
    else:
        assert canonical.canonicalize(value) == expected
