"""Whose places an event may name: the rule that stops a partner writing another's history.

An event is a claim by the party that captures it (its API key's party, or a member's party).
Logistics staff capture for anyone (no rule applies to them). For a partner P:

1. `readPoint.id` and `bizLocation.id` name P's own places: every party a GLN there belongs to
   (as a location's GLN, or as a party's own GLN) is P. Where an event happened is only ever
   the capturer's own site, so a partner cannot record a `destroying`, an observation or a
   transformation "at" another partner's site.
2. `sourceList` and `destinationList` name P on P's side of a transfer, and anyone on the far
   side:
   - a shipping (or departing) event: every source is P's; destinations may be another party
     or its location (where the goods are going);
   - a receiving (or arriving) event: every destination is P's; sources may be another party or
     its location (where the goods came from);
   - any other event (an inspection on receipt, say, which carries the transfer's lists): one
     side names P and only P's, and the other side may name anyone; with neither side P's,
     every source and destination must be P's.
   GLNs no party here has registered (a partner outside B-Fresh) are allowed in sources and
   destinations, as before: they link the event to nobody.

The event is linked to every party its GLNs name (store.py), so a counterparty named on the
far side sees the shipment or receipt announced to it; it cannot be made to appear as the
place, the sender of a shipping or the receiver of a receiving.

3. Temperature readings in an event's `sensorElementList` apply only to goods P holds or took
   part in before this capture, or that no other party has recorded
   (`selectors.party_may_monitor`, the rule of data loggers), checked once the events are
   written (the aggregations of the same document count) and before any reading is stored.

A breach of any rule refuses the whole document (403, EPCIS `SecurityException`, code
`foreign_location`, `foreign_party` or `foreign_goods`, with the JSON path of each offending
field), and nothing of it is stored. This module is pure: the caller says which parties each
GLN names.
"""

from collections.abc import Callable

from ..epcis import identifiers, vocabulary

FOREIGN_LOCATION = "foreign_location"
FOREIGN_PARTY = "foreign_party"
FOREIGN_GOODS = "foreign_goods"
INACTIVE_CAPTURER = "capturer_inactive"
# Error codes that are refusals of authority rather than of content: the capture answers 403.
FORBIDDEN_CODES = frozenset({FOREIGN_LOCATION, FOREIGN_PARTY, FOREIGN_GOODS, INACTIVE_CAPTURER})

_SHIPPING = frozenset({"shipping", "departing"})
_RECEIVING = frozenset({"receiving", "arriving"})


def event_foreign_names(
    event: dict, *, path: str, capturer_pk: int, parties_of: Callable[[str], set[int]]
) -> list[dict]:
    """The errors (JSON path, code, message) for each place or party of `event` that belongs to
    another party than the capturer where the rule above does not allow it.

    `parties_of(gln)` gives the primary keys of the parties a GLN belongs to (empty: unknown)."""
    errors = []
    for key in ("readPoint", "bizLocation"):
        place = event.get(key)
        raw = place.get("id") if isinstance(place, dict) else None
        gln = identifiers.parse(raw).gln if isinstance(raw, str) else ""
        if gln and parties_of(gln) - {capturer_pk}:
            errors.append(
                {
                    "path": f"{path}.{key}.id",
                    "code": FOREIGN_LOCATION,
                    "message": f"GLN {gln} is another party's: an event's {key} is one of the "
                    "capturing party's own locations",
                }
            )
    step = vocabulary.bare_term(event.get("bizStep"))
    lists = {}
    for key, field in (("sourceList", "source"), ("destinationList", "destination")):
        entries = event.get(key)
        lists[key] = [
            (position, field, gln)
            for position, entry in enumerate(entries if isinstance(entries, list) else [])
            if (raw := entry.get(field) if isinstance(entry, dict) else None)
            and isinstance(raw, str)
            and (gln := identifiers.parse(raw).gln)
        ]

    def foreign(key):
        return [item for item in lists[key] if parties_of(item[2]) - {capturer_pk}]

    def names_capturer(key):
        return any(capturer_pk in parties_of(gln) for _, _, gln in lists[key])

    far_side = ""
    if step in _SHIPPING:
        far_side = "destinationList"
    elif step in _RECEIVING:
        far_side = "sourceList"
    else:
        for key, other in (("sourceList", "destinationList"), ("destinationList", "sourceList")):
            if names_capturer(other) and not foreign(other):
                far_side = key
                break
    for key in ("sourceList", "destinationList"):
        if key == far_side:
            continue
        for position, field, gln in foreign(key):
            errors.append(
                {
                    "path": f"{path}.{key}[{position}].{field}",
                    "code": FOREIGN_PARTY,
                    "message": _far_side_message(gln, key, step),
                }
            )
    return errors


def _far_side_message(gln: str, key: str, step: str) -> str:
    if key == "sourceList" and step in _SHIPPING:
        return f"GLN {gln} is another party's: a shipping event's source is the capturing party"
    if key == "destinationList" and step in _RECEIVING:
        return (
            f"GLN {gln} is another party's: a receiving event's destination is the capturing party"
        )
    return (
        f"GLN {gln} is another party's: another party is named only on the far side of a "
        "transfer whose other side is the capturing party"
    )
