"""Input and output of the exchange API. Quantities are strings: they pass 2**53."""

import re

from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from busanhub.bank.models import BankLink
from exchange import selectors
from exchange.amounts import MAX_AMOUNT
from exchange.models import BankTransfer, ChainDeposit, ChainWithdrawal, Market, Order, Trade


@extend_schema_field({"type": "string", "pattern": r"^-?[0-9]+$", "example": "1000000"})
class BigInt(serializers.IntegerField):
    """An integer that travels as a decimal string (JSON numbers lose precision past 2**53)."""

    def to_representation(self, value):
        return str(int(value))


class MarketOut(serializers.ModelSerializer):
    base = serializers.CharField(source="base.symbol")
    quote = serializers.CharField(source="quote.symbol")
    base_decimals = serializers.IntegerField(source="base.decimals")
    quote_decimals = serializers.IntegerField(source="quote.decimals")
    tick_size = BigInt()
    lot_size = BigInt()
    min_notional = BigInt()

    class Meta:
        model = Market
        fields = [
            "symbol",
            "base",
            "quote",
            "base_decimals",
            "quote_decimals",
            "tick_size",
            "lot_size",
            "min_notional",
            "status",
        ]


class TradeOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    taker_side = serializers.CharField()  # "buy" or "sell" (one enum in the schema: Side)
    price = BigInt()
    quantity = BigInt()
    notional = BigInt()

    class Meta:
        model = Trade
        fields = ["id", "price", "quantity", "notional", "taker_side", "created_at"]


class MarketSymbolField(serializers.SlugRelatedField):
    """`SlugRelatedField(slug_field="symbol")` whose lookup of a text symbol is a prepared
    statement (selectors.market_by_symbol); the same answers and messages as DRF's."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="symbol", queryset=Market.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):  # DRF's own lookup and refusals
            return super().to_internal_value(data)
        try:
            market = selectors.market_by_symbol(symbol=data)
        except ValueError:  # as DRF's: a NUL character psycopg2 will not send
            self.fail("invalid")
        if market is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return market


class OrderIn(serializers.Serializer):
    market = MarketSymbolField()
    side = serializers.ChoiceField(choices=Order.Side.choices)
    type = serializers.ChoiceField(choices=Order.Kind.choices, default="limit")
    price = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT, required=False, default=0)
    quantity = serializers.IntegerField(
        min_value=0, max_value=MAX_AMOUNT, required=False, default=0
    )
    quote_amount = serializers.IntegerField(
        min_value=0, max_value=MAX_AMOUNT, required=False, default=0
    )
    time_in_force = serializers.ChoiceField(choices=Order.TimeInForce.choices, default="GTC")
    post_only = serializers.BooleanField(default=False)
    client_order_id = serializers.CharField(
        max_length=64, required=False, default="", allow_blank=True
    )


# What order_in_plain takes as it is: values OrderIn's fields would return unchanged.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,16}")
_CLIENT_ORDER_ID = re.compile(r"[!-~]{0,64}")  # printable ASCII, no space: nothing to strip
_ORDER_IN_DEFAULTS = {
    "type": "limit",
    "price": 0,
    "quantity": 0,
    "quote_amount": 0,
    "time_in_force": "GTC",
    "post_only": False,
    "client_order_id": "",
}
_ORDER_IN_CHOICES = {
    "side": frozenset(Order.Side.values),
    "type": frozenset(Order.Kind.values),
    "time_in_force": frozenset(Order.TimeInForce.values),
}


def _amount(value) -> int | None:
    if value.__class__ is int:
        number = value
    elif value.__class__ is str and _WHOLE_NUMBER.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 <= number <= MAX_AMOUNT else None


def order_in_plain(data) -> dict | None:
    """`OrderIn(data=data).validated_data` for a JSON object whose every value OrderIn would
    take as it is (a market that exists, choices spelt as they are stored, amounts as whole
    numbers or strings of digits in range, booleans, a client order id of printable ASCII
    without spaces); None for anything else, which OrderIn then validates and refuses in its
    own words. A placement's input, on every order: the serializer's nine bound fields cost
    more than the checks themselves."""
    if data.__class__ is not dict:
        return None
    values = {"side": data.get("side")}
    for name, default in _ORDER_IN_DEFAULTS.items():
        values[name] = data.get(name, default)
    for name, choices in _ORDER_IN_CHOICES.items():
        if values[name].__class__ is not str or values[name] not in choices:
            return None
    for name in ("price", "quantity", "quote_amount"):
        amount = _amount(values[name])
        if amount is None:
            return None
        values[name] = amount
    client_order_id = values["client_order_id"]
    if values["post_only"].__class__ is not bool or not (
        client_order_id.__class__ is str and _CLIENT_ORDER_ID.fullmatch(client_order_id)
    ):
        return None
    symbol = data.get("market")
    if symbol.__class__ is not str or "\x00" in symbol:
        return None
    market = selectors.market_by_symbol(symbol=symbol)
    if market is None:
        return None
    return {"market": market, **values}


class OrderOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    market = serializers.CharField(source="market.symbol")
    type = serializers.CharField(source="kind")
    price = BigInt()
    quantity = BigInt()
    quote_amount = BigInt()
    filled_quantity = BigInt()
    filled_quote = BigInt()
    held = BigInt(source="held_remaining")

    class Meta:
        model = Order
        fields = [
            "id",
            "client_order_id",
            "market",
            "side",
            "type",
            "time_in_force",
            "post_only",
            "price",
            "quantity",
            "quote_amount",
            "filled_quantity",
            "filled_quote",
            "held",
            "status",
            "cancel_reason",
            "created_at",
        ]


_CREATED_AT = serializers.DateTimeField()  # unbound: its to_representation only reads settings


def order_out(order: Order) -> dict:
    """`OrderOut(order).data`, key for key and value for value, made without the serializer:
    every placement and cancel answers one order, and building a serializer's sixteen bound
    fields cost more than the rest of the answer. OrderOut stays the schema's and the list's."""
    return {
        "id": str(order.public_id),
        "client_order_id": str(order.client_order_id),
        "market": str(order.market.symbol),
        "side": str(order.side),
        "type": str(order.kind),
        "time_in_force": str(order.time_in_force),
        "post_only": bool(order.post_only),
        "price": str(int(order.price)),
        "quantity": str(int(order.quantity)),
        "quote_amount": str(int(order.quote_amount)),
        "filled_quantity": str(int(order.filled_quantity)),
        "filled_quote": str(int(order.filled_quote)),
        "held": str(int(order.held_remaining)),
        "status": str(order.status),
        "cancel_reason": str(order.cancel_reason),
        "created_at": _CREATED_AT.to_representation(order.created_at),
    }


class DepositOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    asset = serializers.CharField(source="asset.symbol")
    amount = BigInt()

    class Meta:
        model = ChainDeposit
        fields = ["id", "asset", "amount", "tx_hash", "block_number", "status", "created_at"]


class WithdrawalIn(serializers.Serializer):
    asset = serializers.CharField(max_length=16)
    address = serializers.CharField(max_length=64)
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT)


class WithdrawalOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    asset = serializers.CharField(source="asset.symbol")
    amount = BigInt()

    class Meta:
        model = ChainWithdrawal
        fields = ["id", "asset", "address", "amount", "status", "tx_hash", "created_at"]


class BankIn(serializers.Serializer):
    """A KRW transfer to or from one of the user's verified bank links (listed and added at
    `/api/v1/vouchers/bank-links/`): its id, never a typed account number."""

    bank_link = serializers.UUIDField(help_text="the id of one of your verified bank links")
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="KRW")

    def validate_bank_link(self, value):
        link = BankLink.objects.filter(
            public_id=value, user=self.context["user"], removed_at__isnull=True
        ).first()
        if link is None:
            raise serializers.ValidationError(_("Link this bank account first."))
        return link


class BankTransferOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    bank_link = serializers.UUIDField(source="bank_link.public_id", allow_null=True)
    amount = BigInt()

    class Meta:
        model = BankTransfer
        fields = ["id", "direction", "bank_link", "amount", "status", "created_at"]
