"""A citizen's own exchange history as CSV: orders, trades, deposits and withdrawals (on chain
and won through the bank). Amounts are decimal numbers in the asset's units (plain numbers, so
a spreadsheet sums them); every file is written by busanhub.spreadsheet (formula-safe). The
caller passes the requester: nothing here reads another user's rows."""

from decimal import Decimal

from django.db.models import Q

from busanhub.spreadsheet import rows_to_csv

from . import selectors
from .models import BankTransfer, Order, Trade

KINDS = ("orders", "trades", "deposits", "withdrawals")


def _decimal(units, decimals: int) -> Decimal:
    return Decimal(int(units)).scaleb(-decimals)


def orders_csv(*, user) -> str:
    header = [
        "created_at", "order", "market", "side", "kind", "price", "quantity",
        "filled_quantity", "filled_quote", "status",
    ]  # fmt: skip
    orders = (
        selectors.orders_for(user=user)
        .select_related("market__base", "market__quote")
        .order_by("-created_at", "-pk")
    )
    rows = (
        [
            order.created_at.isoformat(),
            str(order.public_id),
            order.market.symbol,
            order.side,
            order.kind,
            _decimal(order.price, order.market.quote.decimals) if order.price else None,
            _decimal(order.quantity, order.market.base.decimals) if order.quantity else None,
            _decimal(order.filled_quantity, order.market.base.decimals),
            _decimal(order.filled_quote, order.market.quote.decimals),
            order.status,
        ]
        for order in orders.iterator(chunk_size=500)
    )
    return rows_to_csv(header, rows)


def trades_csv(*, user) -> str:
    header = [
        "time", "trade", "market", "side", "role", "price", "quantity", "total", "fee",
        "fee_asset",
    ]  # fmt: skip
    trades = (
        Trade.objects.filter(Q(maker_order__owner=user) | Q(taker_order__owner=user))
        .select_related("market__base", "market__quote", "maker_order", "taker_order")
        .order_by("-created_at", "-pk")
    )
    rows = []
    for trade in trades.iterator(chunk_size=500):
        market = trade.market
        # Both sides may be the same user (a self-trade): one line per side.
        for order, role, fee in (
            (trade.taker_order, "taker", trade.taker_fee),
            (trade.maker_order, "maker", trade.maker_fee),
        ):
            if order.owner_id != user.pk:
                continue
            # The buyer pays its fee in the base asset it receives, the seller in quote.
            fee_asset = market.base if order.side == Order.Side.BUY else market.quote
            rows.append(
                [
                    trade.created_at.isoformat(),
                    str(trade.public_id),
                    market.symbol,
                    order.side,
                    role,
                    _decimal(trade.price, market.quote.decimals),
                    _decimal(trade.quantity, market.base.decimals),
                    _decimal(trade.notional, market.quote.decimals),
                    _decimal(fee, fee_asset.decimals),
                    fee_asset.symbol,
                ]
            )
    return rows_to_csv(header, rows)


def _bank_transfers(user, direction: str):
    return (
        BankTransfer.objects.filter(owner=user, direction=direction)
        .select_related("bank_link")
        .order_by("-created_at", "-pk")
    )


HEADER = ["time", "via", "asset", "amount", "status", "reference"]


def deposits_csv(*, user) -> str:
    rows = [
        [
            deposit.created_at.isoformat(),
            "chain",
            deposit.asset.symbol,
            _decimal(deposit.amount, deposit.asset.chain_decimals),  # counted on chain
            deposit.status,
            deposit.tx_hash,
        ]
        for deposit in selectors.deposits_for(user=user).order_by("-created_at", "-pk")
    ]
    rows += [
        [transfer.created_at.isoformat(), "bank", "KRW", transfer.amount, transfer.status, ""]
        for transfer in _bank_transfers(user, BankTransfer.Direction.IN)
    ]
    rows.sort(key=lambda row: row[0], reverse=True)
    return rows_to_csv(HEADER, rows)


def withdrawals_csv(*, user) -> str:
    rows = [
        [
            withdrawal.created_at.isoformat(),
            "chain",
            withdrawal.asset.symbol,
            _decimal(withdrawal.amount, withdrawal.asset.decimals),
            withdrawal.status,
            withdrawal.tx_hash or withdrawal.address,
        ]
        for withdrawal in selectors.withdrawals_for(user=user).order_by("-created_at", "-pk")
    ]
    rows += [
        [transfer.created_at.isoformat(), "bank", "KRW", transfer.amount, transfer.status, ""]
        for transfer in _bank_transfers(user, BankTransfer.Direction.OUT)
    ]
    rows.sort(key=lambda row: row[0], reverse=True)
    return rows_to_csv(HEADER, rows)


def history_csv(*, user, kind: str) -> str:
    """The requester's `kind` ("orders", "trades", "deposits", "withdrawals") as CSV."""
    return {
        "orders": orders_csv,
        "trades": trades_csv,
        "deposits": deposits_csv,
        "withdrawals": withdrawals_csv,
    }[kind](user=user)
