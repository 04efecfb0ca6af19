import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import statuslist


def test_bits_round_trip_through_gzip_and_base64url():
    bits = statuslist.empty()
    statuslist.set_bit(bits, 0, True)
    statuslist.set_bit(bits, 131_071, True)

    encoded = statuslist.encode(bits)
    decoded = statuslist.decode(encoded)

    assert encoded.startswith("u")
    assert len(decoded) * 8 == 131_072
    assert decoded[0] == 0b1000_0000  # index 0 is the most significant bit
    assert statuslist.get_bit(decoded, 0) is True
    assert statuslist.get_bit(decoded, 1) is False
    assert statuslist.get_bit(decoded, 131_071) is True


def test_clearing_a_bit():
    bits = statuslist.empty()
    statuslist.set_bit(bits, 9, True)
    statuslist.set_bit(bits, 9, False)
    assert bits == statuslist.empty()


def test_spec_example_empty_list_decodes():
    # An all-zero list of 131,072 entries, encoded as the specification's example does.
    encoded = statuslist.encode(statuslist.empty())
    assert statuslist.decode(encoded) == bytes(16_384)


@pytest.mark.parametrize("index", [-1, 131_072])
def test_out_of_range_index_is_refused(index):
    with pytest.raises(statuslist.StatusListError):
        statuslist.get_bit(statuslist.empty(), index)


def test_too_short_or_garbage_lists_are_refused():
    with pytest.raises(statuslist.StatusListError):
        statuslist.decode(statuslist.encode(bytes(100)))
    with pytest.raises(statuslist.StatusListError):
        statuslist.decode("unot-gzip")


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=statuslist.MIN_LENGTH - 1), max_size=50))
def test_any_set_of_indexes_round_trips(indexes):
    bits = statuslist.empty()
    for index in indexes:
        statuslist.set_bit(bits, index, True)
    decoded = statuslist.decode(statuslist.encode(bits))
    assert {i for i in range(0, statuslist.MIN_LENGTH) if statuslist.get_bit(decoded, i)} == indexes
