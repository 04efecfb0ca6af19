import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from busanhub.idempotency.models import IdempotencyRecord
from exchange import selectors, services
from exchange.models import Order
from exchange.tests.factories import ETH, verified_link

API = "/api/v1/exchange"
PRICE = 3_000_000


@pytest.fixture
def api():
    return APIClient()


def _as(api, user):
    api.force_authenticate(user)
    return api


def test_markets_and_market_data_are_public(api, market, alice, bob, fund):
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 10)
    services.order_place(
        user=alice, market=market, side="sell", price=PRICE + 1000, quantity=ETH // 10
    )
    services.order_place(user=bob, market=market, side="buy", price=PRICE, quantity=ETH // 20)
    assert api.get(f"{API}/markets/").json() == [
        {
            "symbol": "ETH-KRW",
            "base": "ETH",
            "quote": "KRW",
            "base_decimals": 9,
            "quote_decimals": 0,
            "tick_size": "1000",
            "lot_size": "1000000",
            "min_notional": "5000",
            "status": "open",
        }
    ]
    assert api.get(f"{API}/markets/eth-krw/book/?depth=1").json() == {
        "symbol": "ETH-KRW",
        "bids": [],
        "asks": [[str(PRICE), str(ETH // 20)]],
    }
    trades = api.get(f"{API}/markets/ETH-KRW/trades/").json()
    assert [(t["price"], t["quantity"], t["taker_side"]) for t in trades] == [
        (str(PRICE), str(ETH // 20), "buy")
    ]
    ticker = api.get(f"{API}/markets/ETH-KRW/ticker/").json()
    assert (ticker["last"], ticker["volume"], ticker["count"], ticker["best_ask"]) == (
        str(PRICE),
        str(ETH // 20),
        1,
        str(PRICE),
    )
    candles = api.get(f"{API}/markets/ETH-KRW/candles/?interval=1m").json()
    assert len(candles) == 1
    assert candles[0][1:] == [str(PRICE)] * 4 + [str(ETH // 20)]
    assert candles[0][0] % 60 == 0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("markets/ETH-KRW/book/?depth=0", "depth"),
        ("markets/ETH-KRW/candles/?interval=2m", "interval"),
    ],
)
def test_bad_market_data_queries(api, market, url, field):
    response = api.get(f"{API}/{url}")
    assert response.status_code == 400
    assert field in response.json()


def test_private_endpoints_need_authentication(api, market):
    for url in ("orders/", "balances/", "deposits/", "withdrawals/"):
        assert api.get(f"{API}/{url}").status_code == 401


def test_place_get_list_and_cancel_an_order(api, market, alice, fund):
    fund(alice, market, krw=1_000_000)
    client = _as(api, alice)
    response = client.post(
        f"{API}/orders/",
        {
            "market": "ETH-KRW",
            "side": "buy",
            "type": "limit",
            "price": PRICE,
            "quantity": ETH // 10,
            "client_order_id": "mine-1",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["held"], body["client_order_id"]) == ("open", "300000", "mine-1")
    assert client.get(f"{API}/orders/{body['id']}/").json()["id"] == body["id"]
    assert [o["id"] for o in client.get(f"{API}/orders/?open=true").json()["results"]] == [
        body["id"]
    ]
    assert client.get(f"{API}/balances/").json() == {
        "ETH": {"available": "0", "held": "0", "frozen": False},
        "KRW": {"available": "700000", "held": "300000", "frozen": False},
    }
    cancelled = client.delete(f"{API}/orders/{body['id']}/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert client.get(f"{API}/orders/?open=true").json()["results"] == []


def test_another_users_order_is_not_found(api, market, alice, bob, fund):
    fund(alice, market, krw=1_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    client = _as(api, bob)
    assert client.get(f"{API}/orders/{order.public_id}/").status_code == 404
    assert client.delete(f"{API}/orders/{order.public_id}/").status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN


def test_bad_order_is_400_naming_the_field_and_holds_nothing(api, market, alice, fund):
    fund(alice, market, krw=1_000_000)
    client = _as(api, alice)
    response = client.post(
        f"{API}/orders/",
        {"market": "ETH-KRW", "side": "buy", "price": PRICE + 1, "quantity": ETH // 10},
        format="json",
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("price", "invalid")]
    assert client.get(f"{API}/balances/").json()["KRW"]["held"] == "0"
    assert Order.objects.count() == 0


def test_idempotency_key_replays_and_refuses_another_body(api, market, alice, fund):
    fund(alice, market, krw=1_000_000)
    client = _as(api, alice)
    body = {"market": "ETH-KRW", "side": "buy", "price": PRICE, "quantity": ETH // 10}
    first = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    other = client.post(
        f"{API}/orders/", {**body, "price": PRICE - 1000}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422
    assert [e["field"] for e in other.json()["errors"]] == ["Idempotency-Key"]
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.filter(scope="exchange").count() == 1


def test_refusals_are_replayed_too(api, market, alice):
    client = _as(api, alice)
    body = {"market": "ETH-KRW", "side": "buy", "price": PRICE, "quantity": ETH // 10}
    first = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    again = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json() == first.json()
    assert first.json()["quantity"] == ["Insufficient available balance."]
    assert first.json()["errors"] == [
        {
            "field": "quantity",
            "code": "insufficient_funds",
            "message": "Insufficient available balance.",
        }
    ]


def test_cancel_all(api, market, alice, fund):
    fund(alice, market, krw=1_000_000)
    for step in range(2):
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE - step * 1000, quantity=ETH // 100
        )
    response = _as(api, alice).post(
        f"{API}/orders/cancel-all/", {"market": "ETH-KRW"}, format="json"
    )
    assert response.json() == {"cancelled": 2}


def test_order_list_query_count(api, market, alice, fund, django_assert_max_num_queries):
    fund(alice, market, krw=10_000_000)
    for step in range(10):
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE - step * 1000, quantity=ETH // 100
        )
    client = _as(api, alice)
    with django_assert_max_num_queries(3):
        response = client.get(f"{API}/orders/")
    assert len(response.json()["results"]) == 10


def test_krw_deposit_and_withdrawal_through_the_bank(api, market, alice):
    from busanhub.bank.sandbox import sandbox_fault_add

    client = _as(api, alice)
    link = str(verified_link(alice).public_id)
    response = client.post(
        f"{API}/krw/deposits/", {"bank_link": link, "amount": 500_000}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (201, "completed")
    sandbox_fault_add(kind="decline")
    declined = client.post(
        f"{API}/krw/withdrawals/",
        {"bank_link": link, "amount": 200_000},
        format="json",
    )
    assert declined.json()["status"] == "failed"
    assert client.get(f"{API}/balances/").json()["KRW"] == {
        "available": "500000",
        "held": "0",
        "frozen": False,
    }
    paid = client.post(
        f"{API}/krw/withdrawals/",
        {"bank_link": link, "amount": 200_000},
        format="json",
    )
    assert paid.json()["status"] == "completed"
    assert client.get(f"{API}/balances/").json()["KRW"]["available"] == "300000"


def test_withdrawal_through_the_api(api, market, alice, fund, settings):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    fund(alice, market, eth=ETH)
    client = _as(api, alice)
    target = "0x000000000000000000000000000000000000dEaD"
    bad = client.post(f"{API}/withdrawal-addresses/", {"address": "nope"}, format="json")
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (400, ["address"])
    added = client.post(f"{API}/withdrawal-addresses/", {"address": target}, format="json")
    assert added.status_code == 201
    body = {"asset": "ETH", "address": target, "amount": ETH // 10}
    first = client.post(f"{API}/withdrawals/", body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    again = client.post(f"{API}/withdrawals/", body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert (first.status_code, again.json()) == (201, first.json())
    assert first.json()["status"] == "approval"  # ETH has no KRW price yet: staff approve
    assert client.get(f"{API}/balances/").json()["ETH"]["held"] == str(ETH // 10)
    assert [w["id"] for w in client.get(f"{API}/withdrawals/").json()] == [first.json()["id"]]


@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_key_place_one_order(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    body = {"market": "ETH-KRW", "side": "buy", "price": PRICE, "quantity": ETH // 10}
    barrier = threading.Barrier(6)
    answers = []

    def post():
        try:
            client = _as(APIClient(), alice)
            barrier.wait()
            response = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="r")
            answers.append((response.status_code, response.has_header("Idempotent-Replayed")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # The guarantee: one order, one first answer; a loser sees 409 (still running) or a replay
    assert Order.objects.count() == 1
    assert answers.count((201, False)) == 1
    assert set(answers) <= {(201, False), (201, True), (409, False)}
    assert len(answers) == 6


def test_orders_have_their_own_throttle_and_leave_the_money_one_alone(api, market, alice, fund):
    # Given tight rates: 2 orders a minute, 1 money request a minute
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    fund(alice, market, krw=1_000_000)
    client = _as(api, alice)
    order = {"market": "ETH-KRW", "side": "buy", "type": "limit", "price": PRICE}
    ScopedRateThrottle.THROTTLE_RATES = {
        **api_settings.DEFAULT_THROTTLE_RATES,
        "orders": "2/min",
        "money": "1/min",
    }
    try:
        # When alice places three orders
        placed = [
            client.post(
                f"{API}/orders/", order | {"quantity": ETH // 100}, format="json"
            ).status_code
            for _ in range(3)
        ]
        # And then asks for a KRW withdrawal (a money request)
        money = client.post(f"{API}/krw/withdrawals/", {"amount": 1}, format="json").status_code
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    # Then the third order is throttled, and the money request is not counted against orders
    assert placed == [201, 201, 429]
    assert money != 429


def test_the_book_is_read_in_one_query_with_the_levels_of_book_depth(
    api, market, alice, fund, django_assert_num_queries
):
    # Given bids at three prices, two orders at the best one, one of them partly filled
    fund(alice, market, krw=10_000_000)
    for price, quantity in [(PRICE, ETH // 10), (PRICE, ETH // 20), (PRICE - 1_000, ETH // 10)]:
        services.order_place(user=alice, market=market, side="buy", price=price, quantity=quantity)
    services.order_place(
        user=alice, market=market, side="buy", price=PRICE - 2_000, quantity=ETH // 10
    )
    Order.objects.filter(price=PRICE, quantity=ETH // 20).update(filled_quantity=ETH // 100)
    # When the book is read, two levels deep, by a lower-case symbol
    with django_assert_num_queries(1):
        response = api.get(f"{API}/markets/eth-krw/book/?depth=2")
    # Then the best two levels come, as book_depth aggregates them
    expected = selectors.book_depth(market=market, depth=2)
    best = ETH // 10 + ETH // 20 - ETH // 100
    assert expected["bids"] == [[PRICE, best], [PRICE - 1_000, ETH // 10]]
    assert response.json() == {
        "symbol": "ETH-KRW",
        "bids": [[str(p), str(q)] for p, q in expected["bids"]],
        "asks": [],
    }


def test_an_unknown_markets_book_answers_404_as_its_other_data(api, market):
    book = api.get(f"{API}/markets/NOPE-KRW/book/")
    trades = api.get(f"{API}/markets/NOPE-KRW/trades/")
    assert (book.status_code, book.json()) == (404, trades.json())
    assert api.get(f"{API}/markets/NOPE-KRW/book/?depth=0").status_code == 404


@pytest.mark.parametrize(
    "symbol", ["ETH-KRW", "NOPE-KRW", "eth-krw", "ETH-KRW\x00", 5, ["ETH-KRW"]]
)
def test_an_orders_market_is_read_and_refused_as_drfs_slug_field_does(market, symbol):
    from rest_framework import serializers
    from rest_framework.exceptions import ValidationError

    from exchange.models import Market
    from exchange.serializers import MarketSymbolField

    def outcome(field):
        try:
            found = field.run_validation(symbol)
        except ValidationError as exc:
            return [(str(detail), detail.code) for detail in exc.detail]
        return {k: v for k, v in found.__dict__.items() if k != "_state"}

    drfs = serializers.SlugRelatedField(slug_field="symbol", queryset=Market.objects.all())
    assert outcome(MarketSymbolField()) == outcome(drfs)


def test_a_queued_placement_answers_without_reading_its_market_again(
    api, market, alice, fund, settings
):
    from django.test.utils import CaptureQueriesContext

    settings.EXCHANGE_MATCHING = "queue"
    fund(alice, market, krw=1_000_000)
    order = {"market": "ETH-KRW", "side": "buy", "type": "limit", "price": PRICE}
    # (the first placement reads the market's facts into this process's cache)
    _as(api, alice).post(f"{API}/orders/", order | {"quantity": ETH // 100}, format="json")
    with CaptureQueriesContext(connection) as queries:
        response = _as(api, alice).post(
            f"{API}/orders/", order | {"quantity": ETH // 100}, format="json"
        )
    assert (response.status_code, response.json()["market"]) == (201, "ETH-KRW")
    assert not [q for q in queries.captured_queries if 'FROM "exchange_market"' in q["sql"]]


def test_an_order_is_read_with_its_market_in_one_query_and_only_by_its_owner(
    api, market, alice, bob, fund, django_assert_num_queries
):
    fund(alice, market, krw=1_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 100
    )
    expected = Order.objects.select_related("market").get(pk=order.pk)
    found = selectors.order_of(user=alice, public_id=order.public_id)
    assert found is not None
    assert {k: v for k, v in found.__dict__.items() if k != "_state"} == {
        k: v for k, v in expected.__dict__.items() if k != "_state"
    }
    assert found.market.__dict__.keys() == expected.market.__dict__.keys()
    assert found.market.symbol == "ETH-KRW"
    assert selectors.order_of(user=bob, public_id=order.public_id) is None
    client = _as(api, alice)
    with django_assert_num_queries(1):
        answer = client.get(f"{API}/orders/{order.public_id}/")
    assert (answer.status_code, answer.json()["market"]) == (200, "ETH-KRW")
    refused = _as(APIClient(), bob).get(f"{API}/orders/{order.public_id}/")
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (404, "not_found")


@pytest.mark.parametrize("matching", ["inline", "queue"])
def test_an_orders_answer_is_order_outs_data(api, market, alice, bob, fund, settings, matching):
    # Given orders in every state an answer shows: as placement returns them (queued: not read
    # back, its status an enum member and its time Python's), filled, partly filled, cancelled,
    # a market buy by amount, one with a client order id; with inline or queued matching
    from django.utils import timezone

    from exchange.serializers import OrderOut, order_out

    settings.EXCHANGE_MATCHING = matching
    fund(alice, market, krw=100_000_000, eth=ETH)
    fund(bob, market, krw=100_000_000, eth=ETH)
    placed = [
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 50
        ),
        services.order_place(
            user=bob, market=market, side="sell", price=PRICE, quantity=ETH // 100
        ),
        services.order_place(
            user=alice,
            market=market,
            side="sell",
            price=PRICE * 2,
            quantity=ETH // 100,
            post_only=True,
            client_order_id="mine-1",
        ),
        services.order_place(
            user=bob,
            market=market,
            side="buy",
            kind="market",
            quote_amount=10_000,
            time_in_force="IOC",
        ),
    ]
    if matching == "queue":
        services.markets_match(market_pk=market.pk)
    cancelled = services.order_cancel(user=alice, order=placed[2])
    if matching == "queue":
        services.markets_match(market_pk=market.pk)
    stored = list(Order.objects.select_related("market").order_by("pk"))

    # When each is answered, then it is OrderOut's data, as JSON too, in either time zone
    for order in [*placed, cancelled, *stored]:
        assert order_out(order) == OrderOut(order).data
    assert {o.status for o in stored} >= {"filled", "partial", "cancelled"}
    with timezone.override("Europe/London"):
        assert order_out(stored[0]) == OrderOut(stored[0]).data
        assert order_out(stored[0])["created_at"].endswith("Z")
    answer = _as(api, alice).get(f"{API}/orders/{stored[0].public_id}/").json()
    assert answer == json.loads(json.dumps(OrderOut(stored[0]).data))


_GOOD = {"market": "ETH-KRW", "side": "buy", "type": "limit", "price": "3000000", "quantity": 10}
# Bodies the plain reading takes as they are
_PLAIN = [
    {},
    {"price": 3_000_000, "quantity": "10000000"},
    {"type": "market", "price": 0, "quote_amount": "5000", "time_in_force": "IOC"},
    {"side": "sell", "post_only": True, "client_order_id": "bot-7:a_b"},
    {"client_order_id": "", "time_in_force": "FOK", "extra": [1, 2]},
    {"price": "0007", "quantity": str(10**15)},
]
# and those OrderIn turns into something else, or refuses: left to OrderIn
_LEFT = [
    {"price": " 3000000"},
    {"price": "3000000.0"},
    {"price": "3_000_000"},
    {"price": 3_000_000.0},
    {"price": True},
    {"price": -1},
    {"quantity": 10**15 + 1},
    {"quantity": "1" * 17},
    {"quantity": None},
    {"side": "BUY"},
    {"side": None},
    {"type": ""},
    {"time_in_force": "gtc"},
    {"post_only": "true"},
    {"post_only": 1},
    {"client_order_id": " padded "},
    {"client_order_id": "x" * 65},
    {"client_order_id": "한국"},
    {"client_order_id": 7},
    {"market": "eth-krw"},
    {"market": "ETH-KRW\x00"},
    {"market": ""},
    {"market": 1},
    {"market": None},
]


@pytest.mark.parametrize(
    "changes,is_plain", [(c, True) for c in _PLAIN] + [(c, False) for c in _LEFT]
)
def test_plain_order_input_is_order_ins_or_left_to_it(market, changes, is_plain):
    # Given a placement's JSON body
    from exchange.serializers import OrderIn, order_in_plain

    data = {**_GOOD, **changes}

    # When the plain reading and OrderIn read it
    plain = order_in_plain(data)
    serializer = OrderIn(data=data)

    # Then the plain reading answers OrderIn's validated data, or leaves the body to OrderIn
    assert (plain is not None) is is_plain
    if is_plain:
        assert serializer.is_valid(), serializer.errors
        assert plain == dict(serializer.validated_data)


def test_a_missing_side_and_a_form_body_are_left_to_order_in(market):
    from django.http import QueryDict

    from exchange.serializers import order_in_plain

    assert order_in_plain({k: v for k, v in _GOOD.items() if k != "side"}) is None
    assert order_in_plain(QueryDict("market=ETH-KRW&side=buy&price=3000000&quantity=10")) is None
    assert order_in_plain([_GOOD]) is None
