"""How much of a lot (or whether an object) is left for transformations to consume.

A lot's starting quantity is what its ADD ObjectEvents (commissioning: `quantityList`) and the
TransformationEvents that output it (`outputQuantityList`) say, summed per unit of measure.
TransformationEvents consume it through their `inputQuantityList`: an element with a quantity
takes that much (in one of the lot's units: quantities are never converted), one without takes
all that is left. A lot whose starting quantity no event states is consumed whole by the first
transformation that takes any of it; so is an object named in `inputEPCList`. Events declared
erroneous (`errorDeclaration`) neither produce nor consume: declaring one releases what it took.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from ..models import Event, EventEPC

_PRODUCED = Q(
    role=EventEPC.Role.QUANTITY,
    event__event_type=Event.Type.OBJECT,
    event__action="ADD",
    quantity__isnull=False,
) | Q(role=EventEPC.Role.OUTPUT_QUANTITY, quantity__isnull=False)
_CONSUMED = Q(
    role__in=[EventEPC.Role.INPUT, EventEPC.Role.INPUT_QUANTITY],
    event__event_type=Event.Type.TRANSFORMATION,
)


@dataclass
class Balance:
    """A lot's (or an object's) quantities: produced and consumed, by unit of measure."""

    produced: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    consumed: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    is_taken_whole: bool = False
    uses: int = 0

    @property
    def is_known(self) -> bool:
        return any(quantity > 0 for quantity in self.produced.values())

    @property
    def is_consumed(self) -> bool:
        if not self.is_known:
            return self.uses > 0
        return self.is_taken_whole or all(
            self.consumed[uom] >= quantity for uom, quantity in self.produced.items()
        )

    def remaining(self, uom: str) -> Decimal:
        return max(self.produced[uom] - self.consumed[uom], Decimal(0))

    def take(self, quantity: Decimal | None, uom: str) -> str:
        """Records a consumption; returns why it is refused ("" when it is not)."""
        if self.is_consumed:
            return "already consumed by a transformation"
        if self.is_known and quantity is not None:
            if uom not in self.produced:
                units = ", ".join(sorted(self.produced)) or "-"
                return f"its quantity is known in {units}, not in {uom or 'units'}"
            if quantity > self.remaining(uom):
                left = self.remaining(uom)
                return f"{_number(quantity)} {uom} asked, {_number(left)} {uom} left"
        self.uses += 1
        if quantity is None or not self.is_known:
            self.is_taken_whole = True
        else:
            self.consumed[uom] += quantity
        return ""


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def balances_stored(
    identifiers: set[str], *, released_event_pks: set[int] = frozenset()
) -> dict[str, Balance]:
    """The balance of each identifier from the stored events (one query), leaving out events
    declared erroneous and those in `released_event_pks` (being declared erroneous now)."""
    balances: dict[str, Balance] = defaultdict(Balance)
    if not identifiers:
        return balances
    rows = (
        EventEPC.objects.filter(identifier__in=identifiers)
        .filter(_PRODUCED | _CONSUMED)
        .exclude(event__data__has_key="errorDeclaration")
        .exclude(event_id__in=released_event_pks)
        .values("identifier", "role", "uom")
        .annotate(
            total=Sum("quantity"),
            uses=Count("id"),
            whole=Count("id", filter=Q(quantity__isnull=True)),
        )
    )
    for row in rows:
        balance = balances[row["identifier"]]
        if row["role"] in (EventEPC.Role.INPUT, EventEPC.Role.INPUT_QUANTITY):
            balance.uses += row["uses"]
            balance.consumed[row["uom"]] += row["total"] or 0
            balance.is_taken_whole |= row["whole"] > 0
        else:
            balance.produced[row["uom"]] += row["total"]
    for balance in balances.values():
        # A lot of unknown quantity, or an object, is consumed whole by its first use.
        if balance.uses and not balance.is_known:
            balance.is_taken_whole = True
    return balances
