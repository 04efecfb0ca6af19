"""Bitstring Status List v1.0: a GZIP-compressed bitstring in multibase base64url. No Django.

Index 0 is the most significant bit of the first byte, as the specification says.
"""

import gzip

from . import multikey

MIN_LENGTH = 131_072  # bits: the specification's minimum, for herd privacy


class StatusListError(ValueError):
    pass


def empty(length: int = MIN_LENGTH) -> bytearray:
    if length % 8:
        raise StatusListError("the list length is a multiple of 8 bits")
    return bytearray(length // 8)


def get_bit(bits: bytes | bytearray, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytearray, index: int, value: bool) -> None:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index} is outside the list")
    if value:
        bits[index // 8] |= 0x80 >> (index % 8)
    else:
        bits[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF


def encode(bits: bytes | bytearray) -> str:
    """encodedList: multibase base64url (no padding) of the GZIP of the bitstring."""
    # mtime=0 keeps the encoding (and so the signed list) deterministic.
    return multikey.b64url_encode(gzip.compress(bytes(bits), mtime=0))


def decode(encoded: str) -> bytes:
    try:
        bits = gzip.decompress(multikey.b64url_decode(encoded))
    except (multikey.KeyError_, OSError, EOFError) as exc:
        raise StatusListError(f"encodedList cannot be decoded: {exc}") from exc
    if len(bits) * 8 < MIN_LENGTH:
        raise StatusListError("the status list is shorter than 131,072 entries")
    return bits
