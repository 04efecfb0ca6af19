"""GS1 identifiers in EPCIS: EPC URNs and GS1 Digital Link URIs (pure: no Django).

Handles the keys a seafood chain uses: SGTIN, LGTIN (and the sgtin id pattern), SSCC, SGLN, PGLN,
GIAI, GRAI. `canonical()` turns an identifier into its GS1 Digital Link form on id.gs1.org,
so the URN and the Digital Link spellings of one object compare equal.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

DL_ROOT = "https://id.gs1.org"

_URN = re.compile(r"^urn:epc:(id|class|idpat):([a-z]+):(.+)$")
_DL = re.compile(r"^https?://[^/]+(/.*)$")


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a string of digits (without its check digit)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        total += int(digit) * (3 if position % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def is_valid_gtin(gtin: str) -> bool:
    return bool(re.fullmatch(r"\d{14}", gtin)) and check_digit(gtin[:-1]) == gtin[-1]


def is_valid_gln(gln: str) -> bool:
    return bool(re.fullmatch(r"\d{13}", gln)) and check_digit(gln[:-1]) == gln[-1]


def normalize_gtin(value: str) -> str:
    """A GTIN-8/12/13/14 as GTIN-14 (left-padded with zeros); ValueError when not a GTIN."""
    value = (value or "").strip()
    if not re.fullmatch(r"\d{8}|\d{12}|\d{13}|\d{14}", value):
        raise ValueError("a GTIN has 8, 12, 13 or 14 digits")
    value = value.zfill(14)
    if not is_valid_gtin(value):
        raise ValueError("the GTIN's check digit is wrong")
    return value


@dataclass(frozen=True)
class Parsed:
    scheme: str  # sgtin, lgtin, sscc, sgln, pgln, giai, grai, other
    gtin: str = ""
    gln: str = ""
    serial: str = ""
    lot: str = ""
    extension: str = ""
    is_pattern: bool = False


def _gtin(company: str, item: str) -> str:
    indicator, rest = item[:1], item[1:]
    body = indicator + company + rest
    return body + check_digit(body)


def _gln(company: str, location: str) -> str:
    body = company + location
    return body + check_digit(body)


def parse(identifier: str) -> Parsed:
    """Reads an EPC URN or a GS1 Digital Link URI; unknown forms give scheme 'other'."""
    if isinstance(identifier, str):
        # Capture reads each identifier of a document several times (checks, hash, rows).
        return _parse_cached(identifier)
    return _parse(identifier)


def canonical(identifier: str) -> str:
    """The GS1 Digital Link form of an identifier, or the identifier itself when not a GS1 key."""
    if isinstance(identifier, str):
        return _canonical_cached(identifier)
    return _canonical(identifier)


# `Parsed` is frozen and strings are immutable: a cached answer cannot be changed by a caller.
_CACHE_SIZE = 16_384


def _parse(identifier: str) -> Parsed:
    identifier = (identifier or "").strip()
    match = _URN.match(identifier)
    if match:
        kind, scheme, body = match.groups()
        parts = body.split(".")
        try:
            if scheme == "sgtin" and len(parts) == 3:
                pattern = kind == "idpat"
                serial = "" if parts[2] == "*" else unquote(parts[2])
                return Parsed(
                    "sgtin", gtin=_gtin(parts[0], parts[1]), serial=serial, is_pattern=pattern
                )
            if scheme == "lgtin" and len(parts) >= 3:
                lot = unquote(".".join(parts[2:]))
                return Parsed("lgtin", gtin=_gtin(parts[0], parts[1]), lot=lot)
            if scheme == "sscc" and len(parts) == 2:
                body_digits = parts[1][:1] + parts[0] + parts[1][1:]
                return Parsed("sscc", serial=body_digits + check_digit(body_digits))
            if scheme in ("sgln", "pgln") and len(parts) >= 2:
                extension = unquote(".".join(parts[2:])) if scheme == "sgln" else ""
                return Parsed(scheme, gln=_gln(parts[0], parts[1]), extension=extension)
            if scheme == "giai" and len(parts) == 2:
                return Parsed("giai", serial=parts[0] + unquote(parts[1]))
            if scheme == "grai" and len(parts) == 3:
                body_digits = "0" + parts[0] + parts[1]
                return Parsed(
                    "grai", gtin=body_digits + check_digit(body_digits), serial=unquote(parts[2])
                )
        except (IndexError, ValueError):
            return Parsed("other")
        return Parsed("other")
    match = _DL.match(identifier)
    if match:
        segments = [unquote(s) for s in match.group(1).split("?")[0].strip("/").split("/")]
        pairs = dict(zip(segments[0::2], segments[1::2], strict=False))
        if "01" in pairs and re.fullmatch(r"\d{14}", pairs["01"]):
            if "21" in pairs:
                return Parsed("sgtin", gtin=pairs["01"], serial=pairs["21"])
            if "10" in pairs:
                return Parsed("lgtin", gtin=pairs["01"], lot=pairs["10"])
            return Parsed("sgtin", gtin=pairs["01"], is_pattern=True)
        if "00" in pairs:
            return Parsed("sscc", serial=pairs["00"])
        if "414" in pairs:
            return Parsed("sgln", gln=pairs["414"], extension=pairs.get("254", ""))
        if "417" in pairs:
            return Parsed("pgln", gln=pairs["417"])
        if "8004" in pairs:
            return Parsed("giai", serial=pairs["8004"])
    return Parsed("other")


def _canonical(identifier: str) -> str:
    parsed = parse(identifier)
    if parsed.scheme == "sgtin" and not parsed.is_pattern:
        return f"{DL_ROOT}/01/{parsed.gtin}/21/{quote(parsed.serial, safe='')}"
    if parsed.scheme == "sgtin":
        return f"{DL_ROOT}/01/{parsed.gtin}"
    if parsed.scheme == "lgtin":
        return f"{DL_ROOT}/01/{parsed.gtin}/10/{quote(parsed.lot, safe='')}"
    if parsed.scheme == "sscc":
        return f"{DL_ROOT}/00/{parsed.serial}"
    if parsed.scheme == "sgln":
        suffix = (
            f"/254/{quote(parsed.extension, safe='')}" if parsed.extension not in ("", "0") else ""
        )
        return f"{DL_ROOT}/414/{parsed.gln}{suffix}"
    if parsed.scheme == "pgln":
        return f"{DL_ROOT}/417/{parsed.gln}"
    if parsed.scheme == "giai":
        return f"{DL_ROOT}/8004/{quote(parsed.serial, safe='')}"
    if parsed.scheme == "grai":
        return f"{DL_ROOT}/8003/{parsed.gtin}{quote(parsed.serial, safe='')}"
    return _other_key(identifier)


# GS1 primary keys the parser does not model, whose Digital Links are still GS1 keys: any host
# names the same key, so they are written on id.gs1.org (as GS1's Digital Link normaliser does).
_OTHER_KEYS = {"253", "255", "401", "402", "8003", "8006", "8010", "8013", "8017", "8018"}


def _other_key(identifier: str) -> str:
    text = (identifier or "").strip()
    match = _DL.match(text)
    if match:
        path = match.group(1).split("?")[0].split("#")[0].strip("/")
        if path.split("/", 1)[0] in _OTHER_KEYS and path.count("/") % 2 == 1:
            return f"{DL_ROOT}/{path}"
    return text


_parse_cached = lru_cache(maxsize=_CACHE_SIZE)(_parse)
_canonical_cached = lru_cache(maxsize=_CACHE_SIZE)(_canonical)


def lgtin_urn(*, gtin: str, lot: str, company_prefix_length: int = 7) -> str:
    """The EPC class URN of a lot (urn:epc:class:lgtin:...), for a GTIN-14 and a lot code."""
    company = gtin[1 : 1 + company_prefix_length]
    item = gtin[0] + gtin[1 + company_prefix_length : 13]
    return f"urn:epc:class:lgtin:{company}.{item}.{quote(lot, safe='')}"


def sgln_urn(*, gln: str, extension: str = "0", company_prefix_length: int = 7) -> str:
    company = gln[:company_prefix_length]
    location = gln[company_prefix_length:12]
    return f"urn:epc:id:sgln:{company}.{location}.{extension}"


def lot_dl(*, gtin: str, lot: str) -> str:
    return f"{DL_ROOT}/01/{gtin}/10/{quote(lot, safe='')}"
