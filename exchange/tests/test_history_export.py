"""Issue #18 item 8 on the exchange: the requester's own orders, trades, deposits and
withdrawals as CSV (never another's), and the wallet's history lists paginated."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from exchange import services
from exchange.models import Trade
from exchange.tests.factories import ETH, verified_link

pytestmark = pytest.mark.django_db

PRICE = 3_000_000


def _rows(user, kind) -> list[dict]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("exchange:history-csv", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="exchange-{kind}-' in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def traded(market, alice, bob, fund):
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=2_000_000)
    services.order_place(user=alice, market=market, side="sell", price=PRICE, quantity=ETH // 2)
    services.order_place(user=bob, market=market, side="buy", price=PRICE + 1000, quantity=ETH // 5)
    return Trade.objects.get()


def test_orders_and_trades_are_the_requesters_only(traded, alice, bob):
    alice_orders, bob_orders = _rows(alice, "orders"), _rows(bob, "orders")
    assert [o["side"] for o in alice_orders] == ["sell"]
    assert Decimal(alice_orders[0]["filled_quantity"]) == Decimal("0.2")
    assert [o["side"] for o in bob_orders] == ["buy"]
    assert alice_orders[0]["order"] != bob_orders[0]["order"]
    assert Decimal(alice_orders[0]["quantity"]) == Decimal("0.5")
    assert Decimal(bob_orders[0]["price"]) == Decimal("3001000")

    (alice_trade,) = _rows(alice, "trades")
    (bob_trade,) = _rows(bob, "trades")
    assert alice_trade["trade"] == bob_trade["trade"] == str(traded.public_id)
    assert (alice_trade["role"], alice_trade["side"], alice_trade["fee_asset"]) == (
        "maker",
        "sell",
        "KRW",
    )
    assert (bob_trade["role"], bob_trade["side"], bob_trade["fee_asset"]) == (
        "taker",
        "buy",
        "ETH",
    )
    assert Decimal(alice_trade["total"]) == 600_000
    assert Decimal(alice_trade["fee"]) == 600
    assert Decimal(bob_trade["quantity"]) == Decimal("0.2")


def test_someone_with_no_history_gets_only_headers(market, db):
    from exchange.tests.factories import kyc_user

    carol = kyc_user(email="carol@example.kr")
    for kind in ("orders", "trades", "deposits", "withdrawals"):
        assert _rows(carol, kind) == []


def test_bank_deposits_and_withdrawals_are_exported(market, alice, bob):
    link = verified_link(alice)
    services.krw_deposit(user=alice, bank_link=link, amount=50_000)
    services.krw_withdraw(user=alice, bank_link=link, amount=20_000)

    deposits = _rows(alice, "deposits")
    withdrawals = _rows(alice, "withdrawals")

    assert [(d["via"], d["asset"], d["amount"]) for d in deposits] == [("bank", "KRW", "50000")]
    assert [(w["via"], w["asset"], w["amount"]) for w in withdrawals] == [("bank", "KRW", "20000")]
    assert _rows(bob, "deposits") == [] and _rows(bob, "withdrawals") == []


def test_an_unknown_kind_is_404_and_anonymous_is_sent_to_login(market, alice):
    client = Client()
    assert client.get(reverse("exchange:history-csv", args=["orders"])).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("exchange:history-csv", args=["balances"])).status_code == 404


def test_the_wallet_links_the_exports_and_paginates(market, alice):
    client = Client()
    client.force_login(alice)

    html = client.get(reverse("exchange:wallet"), {"deposits_page": "x"}).content.decode()

    for kind in ("orders", "trades", "deposits", "withdrawals"):
        assert reverse("exchange:history-csv", args=[kind]) in html
