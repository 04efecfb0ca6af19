import pytest

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
