"""`/api/v1/exchange/`: DRF views of the app. Market data is public; the rest is the user's own."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from busanhub.idempotency.decorators import idempotent
from exchange import selectors, services
from exchange.models import Market, Order
from exchange.serializers import (
    BankIn,
    BankTransferOut,
    DepositOut,
    MarketOut,
    OrderIn,
    OrderOut,
    TradeOut,
    WithdrawalIn,
    WithdrawalOut,
    order_in_plain,
    order_out,
)

SYMBOL = OpenApiParameter(
    "symbol",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9]{1,16}-[A-Za-z0-9]{1,16}$",
    description="A market, BASE-QUOTE (case-insensitive).",
    examples=[OpenApiExample("ETH-KRW", value="ETH-KRW")],
)


class PublicView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []


def _market(symbol: str) -> Market:
    return get_object_or_404(Market.objects.select_related("base", "quote"), symbol=symbol.upper())


class MarketsView(PublicView):
    @extend_schema(responses=MarketOut(many=True))
    def get(self, request):
        return Response(MarketOut(selectors.markets_listed(), many=True).data)


class BookView(PublicView):
    @extend_schema(
        parameters=[
            SYMBOL,
            OpenApiParameter(
                "depth", OpenApiTypes.INT, description="1 to 500 levels (20).", allow_blank=False
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, symbol):
        try:
            depth = int(request.query_params.get("depth", 20))
        except ValueError:
            depth = 0
        if not 1 <= depth <= 500:
            _market(symbol)  # an unknown market answers 404 before its depth is refused
            return Response({"depth": [_("depth is a whole number from 1 to 500.")]}, status=400)
        book = selectors.book_depth_of_symbol(symbol=symbol.upper(), depth=depth)
        if book is None:  # as _market's get_object_or_404 answers an unknown symbol
            raise Http404(f"No {Market._meta.object_name} matches the given query.")
        return Response(
            {
                "symbol": book["symbol"],
                "bids": [[str(p), str(q)] for p, q in book["bids"]],
                "asks": [[str(p), str(q)] for p, q in book["asks"]],
            }
        )


class TradesView(PublicView):
    @extend_schema(parameters=[SYMBOL], responses=TradeOut(many=True))
    def get(self, request, symbol):
        market = _market(symbol)
        return Response(TradeOut(selectors.trades_recent(market=market), many=True).data)


class TickerView(PublicView):
    @extend_schema(parameters=[SYMBOL], responses=OpenApiTypes.OBJECT)
    def get(self, request, symbol):
        data = selectors.ticker(market=_market(symbol))
        return Response(
            {k: (str(v) if isinstance(v, int) and k != "count" else v) for k, v in data.items()}
        )


# Rows [open time (Unix seconds), open, high, low, close, volume]; prices and volume are
# decimal strings like every amount of the exchange (OpenAPI 3.0 has no tuple type).
CANDLES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "array",
        "minItems": 6,
        "maxItems": 6,
        "items": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": r"^-?[0-9]+$"}]},
    },
}


class CandlesView(PublicView):
    @extend_schema(
        parameters=[
            SYMBOL,
            OpenApiParameter(
                "interval", OpenApiTypes.STR, enum=list(selectors.INTERVALS), allow_blank=False
            ),
        ],
        responses={200: CANDLES_SCHEMA},
    )
    def get(self, request, symbol):
        market = _market(symbol)
        interval = request.query_params.get("interval", "1m")
        if interval not in selectors.INTERVALS:
            return Response({"interval": [_("interval is one of 1m, 5m, 1h, 1d.")]}, status=400)
        rows = selectors.candles(market=market, interval=interval)
        return Response(
            [[ts, str(o), str(h), str(lo), str(c), str(v)] for ts, o, h, lo, c, v in rows]
        )


class MoneyView(APIView):
    """Moves money (withdrawals, KRW transfers, addresses): POST and DELETE under the "money"
    rate (30 a minute a user), shared with vouchers' payments."""

    throttle_scope = "money"

    def get_throttles(self):
        if self.request.method in ("POST", "DELETE"):
            return [ScopedRateThrottle()]
        return super().get_throttles()


class TradingView(MoneyView):
    """Places and cancels orders: the "orders" rate (120 a minute a user, two a second), a
    counter of its own. A trader who places and cancels every few seconds is ordinary use of an
    exchange; under the "money" rate they hit 30 a minute and took a citizen's payment budget
    with it (the load test's traders are also voucher payers)."""

    throttle_scope = "orders"


class OrderPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class OrdersView(TradingView):
    @extend_schema(
        operation_id="exchange_orders_list",
        parameters=[
            OpenApiParameter("market", OpenApiTypes.STR, description="A market symbol."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Order.Status.values),
            OpenApiParameter("open", OpenApiTypes.STR, enum=["true", "false"]),
        ],
        responses=inline_serializer(
            "PaginatedOrderList",
            fields={
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": OrderOut(many=True),
            },
        ),
    )
    def get(self, request):
        market = None
        if symbol := request.query_params.get("market"):
            market = _market(symbol)
        status_filter = request.query_params.get("status") or None
        if status_filter and status_filter not in Order.Status.values:
            return Response({"status": [_("Unknown order status.")]}, status=400)
        raw_open = request.query_params.get("open", "")
        if raw_open not in ("", "true", "false"):
            return Response({"open": [_("open is true or false.")]}, status=400)
        is_open = {"true": True, "false": False}.get(raw_open)
        orders = selectors.orders_for(
            user=request.user, market=market, status=status_filter, is_open=is_open
        )
        paginator = OrderPagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderOut(page, many=True).data)

    @extend_schema(request=OrderIn, responses={201: OrderOut})
    @idempotent("exchange")
    def post(self, request):
        values = order_in_plain(request.data)
        if values is None:  # OrderIn's own checks and words
            data = OrderIn(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        order = services.order_place(
            user=request.user,
            market=values["market"],
            side=values["side"],
            kind=values["type"],
            price=values["price"],
            quantity=values["quantity"],
            quote_amount=values["quote_amount"],
            time_in_force=values["time_in_force"],
            post_only=values["post_only"],
            client_order_id=values["client_order_id"],
        )
        # The order as it stands: matched already (inline matching) or `pending` (queued).
        return Response(order_out(order), status=status.HTTP_201_CREATED)


class OrderView(TradingView):
    def _order(self, request, public_id):
        order = selectors.order_of(user=request.user, public_id=public_id)
        if order is None:  # as get_object_or_404: another's order is not found either
            raise Http404(f"No {Order._meta.object_name} matches the given query.")
        return order

    @extend_schema(responses=OrderOut)
    def get(self, request, public_id):
        return Response(order_out(self._order(request, public_id)))

    @extend_schema(responses={200: OrderOut, 202: OrderOut})
    def delete(self, request, public_id):
        order = services.order_cancel(user=request.user, order=self._order(request, public_id))
        # 202: the cancel waits in the market's log for the matcher (queued matching).
        done = order.status not in Order.ACTIVE_STATUSES
        return Response(order_out(order), status=200 if done else 202)


class CancelAllView(TradingView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    @idempotent("exchange")
    def post(self, request):
        symbol = request.data.get("market") if hasattr(request.data, "get") else None
        if not symbol:
            return Response({"market": [_("Name the market.")]}, status=400)
        count = services.orders_cancel_all(user=request.user, market=_market(str(symbol)))
        return Response({"cancelled": count})


class BalancesView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        balances = selectors.balances_for(user=request.user)
        return Response(
            {
                symbol: {
                    "available": str(b["available"]),
                    "held": str(b["held"]),
                    "frozen": b["frozen"],
                }
                for symbol, b in balances.items()
            }
        )


class DepositsView(APIView):
    @extend_schema(responses=DepositOut(many=True))
    def get(self, request):
        return Response(DepositOut(selectors.deposits_for(user=request.user)[:100], many=True).data)


class WithdrawalsView(MoneyView):
    @extend_schema(responses=WithdrawalOut(many=True))
    def get(self, request):
        return Response(
            WithdrawalOut(selectors.withdrawals_for(user=request.user)[:100], many=True).data
        )

    @extend_schema(request=WithdrawalIn, responses={201: WithdrawalOut})
    @idempotent("exchange")
    def post(self, request):
        data = WithdrawalIn(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_request(user=request.user, **data.validated_data)
        return Response(WithdrawalOut(withdrawal).data, status=status.HTTP_201_CREATED)


class WithdrawalAddressesView(MoneyView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    @idempotent("exchange")
    def post(self, request):
        address = request.data.get("address") if hasattr(request.data, "get") else None
        if not isinstance(address, str) or not address:
            return Response({"address": [_("Give an address.")]}, status=400)
        label = request.data.get("label") or ""
        entry = services.withdrawal_address_add(
            user=request.user, address=address, label=str(label)[:64]
        )
        return Response(
            {"address": entry.address, "label": entry.label, "usable_from": entry.usable_from},
            status=status.HTTP_201_CREATED,
        )


class KrwTransferView(MoneyView):
    """KRW in or out through the bank gateway; subclasses name the service."""

    service = None  # services.krw_deposit or services.krw_withdraw

    @extend_schema(request=BankIn, responses={201: BankTransferOut})
    @idempotent("exchange")
    def post(self, request):
        data = BankIn(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        transfer = type(self).service(
            user=request.user,
            bank_link=data.validated_data["bank_link"],
            amount=data.validated_data["amount"],
        )
        return Response(BankTransferOut(transfer).data, status=status.HTTP_201_CREATED)


class KrwDepositView(KrwTransferView):
    service = staticmethod(services.krw_deposit)


class KrwWithdrawalView(KrwTransferView):
    service = staticmethod(services.krw_withdraw)


from django.urls import path  # noqa: E402

urlpatterns = [
    path("markets/", MarketsView.as_view(), name="exchange-markets"),
    path("markets/<str:symbol>/book/", BookView.as_view(), name="exchange-book"),
    path("markets/<str:symbol>/trades/", TradesView.as_view(), name="exchange-trades"),
    path("markets/<str:symbol>/ticker/", TickerView.as_view(), name="exchange-ticker"),
    path("markets/<str:symbol>/candles/", CandlesView.as_view(), name="exchange-candles"),
    path("orders/", OrdersView.as_view(), name="exchange-orders"),
    path("orders/cancel-all/", CancelAllView.as_view(), name="exchange-orders-cancel-all"),
    path("orders/<uuid:public_id>/", OrderView.as_view(), name="exchange-order"),
    path("balances/", BalancesView.as_view(), name="exchange-balances"),
    path("deposits/", DepositsView.as_view(), name="exchange-deposits"),
    path("withdrawals/", WithdrawalsView.as_view(), name="exchange-withdrawals"),
    path(
        "withdrawal-addresses/",
        WithdrawalAddressesView.as_view(),
        name="exchange-withdrawal-addresses",
    ),
    path("krw/deposits/", KrwDepositView.as_view(), name="exchange-krw-deposits"),
    path("krw/withdrawals/", KrwWithdrawalView.as_view(), name="exchange-krw-withdrawals"),
]
