"""What the matcher knows of the orders it reads and changes, as plain values."""

from exchange.models import Order


class Live:
    """What the matcher knows of an order it changes, besides the engine's view of it."""

    __slots__ = (
        "pk",
        "public_id",
        "owner_id",
        "side",
        "price",
        "quantity",
        "filled_quantity",
        "filled_quote",
        "held_remaining",
        "notional",
        "status",
        "cancel_reason",
        "seq",
    )

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    @classmethod
    def of(cls, order: Order) -> "Live":
        return cls(**{name: getattr(order, name) for name in cls.__slots__})


def tradable(order: Live) -> int:
    """What an order may still trade, in its market's quote asset (0 once it has ended)."""
    if order.status not in Order.ACTIVE_STATUSES:
        return 0
    return max(order.notional - order.filled_quote, 0)


class Row(Live):
    """A waiting request with its order's columns, read as plain values (no model instances).
    A placement's row becomes the order's `Live` (its `status` is the one read from the
    database until the matcher changes it)."""

    FIELDS = (
        "request_pk",
        "action",
        "pk",
        "public_id",
        "owner_id",
        "side",
        "kind",
        "time_in_force",
        "post_only",
        "price",
        "quantity",
        "quote_amount",
        "stp",
        "filled_quantity",
        "filled_quote",
        "held_remaining",
        "notional",
        "status",
        "cancel_reason",
        "seq",
    )
    __slots__ = (
        "request_pk",
        "action",
        "kind",
        "time_in_force",
        "post_only",
        "quote_amount",
        "stp",
    )

    def __init__(self, values):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)
