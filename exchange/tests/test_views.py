import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from exchange import services
from exchange.models import Asset, FeeTier, Market, Order
from exchange.tests.factories import ETH, PASSWORD, AssetFactory, StaffFactory, UserFactory

PRICE = 3_000_000


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_home_lists_markets(market):
    response = Client().get(reverse("exchange:home"))
    assert response.status_code == 200
    assert b"ETH-KRW" in response.content


def test_trade_page_anonymous_and_signed_in(market, alice, fund):
    assert Client().get(reverse("exchange:trade", args=["ETH-KRW"])).status_code == 200
    fund(alice, market, krw=1_000_000)
    response = _login(alice).get(reverse("exchange:trade", args=["ETH-KRW"]))
    assert response.status_code == 200
    assert b'id="exchange-order-form"' in response.content
    assert b"lightweight-charts-4.2.3" in response.content


def test_order_form_places_an_order_in_human_units(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    response = _login(alice).post(
        reverse("exchange:trade", args=["ETH-KRW"]),
        {
            "side": "buy",
            "kind": "limit",
            "price": "3,000,000",
            "quantity": "0.1",
            "time_in_force": "GTC",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.price, order.quantity, order.status) == (PRICE, ETH // 10, "open")


def test_order_form_error_is_shown_and_nothing_is_held(market, alice, fund):
    fund(alice, market, krw=1_000_000)
    response = _login(alice).post(
        reverse("exchange:trade", args=["ETH-KRW"]),
        {
            "side": "buy",
            "kind": "limit",
            "price": "3000000.5",
            "quantity": "0.1",
            "time_in_force": "GTC",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"price": ["Enter a number with at most 0 decimals."]}
    response = _login(alice).post(
        reverse("exchange:trade", args=["ETH-KRW"]),
        {
            "side": "buy",
            "kind": "limit",
            "price": "3000500",
            "quantity": "0.1",
            "time_in_force": "GTC",
        },
    )
    assert response.context["form"].errors == {
        "price": ["The price must be a positive multiple of the tick size."]
    }
    assert Order.objects.count() == 0


def test_order_form_in_korean(market, alice, fund, settings):
    alice.preferred_language = "ko"
    alice.save(update_fields=["preferred_language"])
    fund(alice, market, krw=1_000_000)
    response = _login(alice).post(
        reverse("exchange:trade", args=["ETH-KRW"]),
        {
            "side": "buy",
            "kind": "limit",
            "price": "3000000",
            "quantity": "10",
            "time_in_force": "GTC",
        },
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 400
    assert "사용 가능한 잔액이 부족합니다." in response.content.decode()


def test_cancel_from_the_page_only_for_the_owner(market, alice, bob, fund):
    fund(alice, market, krw=1_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    url = reverse("exchange:order-cancel", args=[order.public_id])
    assert _login(bob).post(url).status_code == 404
    assert _login(alice).post(url).status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_wallet_shows_the_deposit_address_as_qr(chain, market, alice):
    response = _login(alice).get(reverse("exchange:wallet"))
    assert response.status_code == 200
    address = response.context["address"].address
    assert address.encode() in response.content
    assert b"data:image/svg+xml;base64," in response.content


def test_wallet_without_kyc_has_no_address(db, market):
    response = _login(UserFactory()).get(reverse("exchange:wallet"))
    assert response.context["address"] is None


def test_wallet_bank_deposit(market, alice):
    from exchange import selectors
    from exchange.tests.factories import verified_link

    # Given no proven bank account, the page offers no transfer but the way to add one
    page = _login(alice).get(reverse("exchange:wallet"))
    assert reverse("vouchers:bank-links").encode() in page.content
    assert b'name="bank_link"' not in page.content
    # Given a verified link, when she deposits from it, then the won is credited
    link = verified_link(alice)
    body = {"action": "bank", "direction": "in", "bank_link": str(link.public_id)}
    response = _login(alice).post(reverse("exchange:wallet"), {**body, "amount": "50000"})
    assert response.status_code == 302
    assert selectors.balances_for(user=alice)["KRW"]["available"] == 50_000


def test_wallet_bank_transfer_refuses_a_typed_account(market, alice, bob):
    from exchange.models import BankTransfer
    from exchange.tests.factories import verified_link

    # Given Alice's own verified link, and Bob's
    verified_link(alice)
    bobs = verified_link(bob)
    # When she posts Bob's link, or a typed account number, then the form refuses, naming the
    # field, and nothing is written
    for choice in (str(bobs.public_id), "110-123-456789"):
        response = _login(alice).post(
            reverse("exchange:wallet"),
            {"action": "bank", "direction": "in", "bank_link": choice, "amount": "50000"},
        )
        assert response.status_code == 400
        assert list(response.context["bank_form"].errors) == ["bank_link"]
    assert not BankTransfer.objects.exists()


def test_wallet_bad_address_is_a_form_error(market, alice):
    response = _login(alice).post(
        reverse("exchange:wallet"), {"action": "allowlist", "address": "nope", "label": ""}
    )
    assert response.status_code == 400
    assert response.context["address_form"].errors == {
        "address": ["This is not an Ethereum address."]
    }


def test_proof_page_download_and_check(market, alice, bob, fund, settings):
    fund(alice, market, krw=70_000)
    snapshot = services.liabilities_snapshot(with_reserves=False)
    page = Client().get(reverse("exchange:proof"))
    assert page.status_code == 200
    assert snapshot.root.encode() in page.content
    url = reverse("exchange:proof-download", args=[snapshot.public_id])
    assert _login(bob).get(url).status_code == 404  # Bob had no balance in the snapshot
    document = json.loads(_login(alice).get(url).content)
    assert document["account"]["balances"] == {"ETH": "0", "KRW": "70000"}
    upload = io.BytesIO(json.dumps(document).encode())
    upload.name = "proof.json"
    checked = Client().post(reverse("exchange:proof"), {"proof": upload})
    assert checked.context["result"] == {"ok": True, "problems": [], "root": snapshot.root}
    document["account"]["balances"]["KRW"] = "1"
    upload = io.BytesIO(json.dumps(document).encode())
    upload.name = "proof.json"
    checked = Client().post(reverse("exchange:proof"), {"proof": upload})
    assert checked.context["result"]["ok"] is False


def test_dashboard_panel(market, alice, fund):
    fund(alice, market, krw=12_345)
    response = _login(alice).get(reverse("accounts:dashboard"))
    assert response.status_code == 200
    assert b"12,345" in response.content


def test_staff_halts_a_market_from_the_admin(market):
    staff = StaffFactory(roles=["staff-exchange"])
    assert (
        Group.objects.get(name="staff-exchange")
        .permissions.filter(codename="change_market")
        .exists()
    )
    client = _login(staff)
    response = client.post(
        "/admin/exchange/market/", {"action": "halt", "_selected_action": [market.pk]}
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert market.status == Market.Status.HALTED
    assert client.get("/admin/exchange/surveillanceevent/").status_code == 200


def test_auditor_can_view_but_not_halt(market):
    auditor = StaffFactory(roles=["auditor"])
    client = _login(auditor)
    assert client.get("/admin/exchange/market/").status_code == 200
    client.post("/admin/exchange/market/", {"action": "halt", "_selected_action": [market.pk]})
    market.refresh_from_db()
    assert market.status == Market.Status.OPEN


def test_demo_seeder_is_idempotent(db):
    from exchange.demo import seed
    from exchange.models import Trade

    users = {"citizen": UserFactory(), "merchant": UserFactory()}
    out = io.StringIO()
    seed(stdout=out, users=users)
    seed(stdout=out, users=users)
    assert Trade.objects.count() > 0
    assert out.getvalue().count("seeded a book") == 1


__all__ = ["PASSWORD", "pytest"]


def _history_section(html: str) -> str:
    return html.split('id="history-title"', 1)[1]


def test_order_history_is_paginated_with_counts_and_keeps_other_params(market, alice, bob, fund):
    # Given 23 cancelled buy orders of Alice's and a cancelled sell order of Bob's
    fund(alice, market, krw=100_000_000)
    fund(bob, market, eth=ETH)
    for _ in range(23):
        order = services.order_place(
            user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 100
        )
        services.order_cancel(user=alice, order=order)
    theirs = services.order_place(
        user=bob, market=market, side="sell", price=PRICE * 2, quantity=ETH // 100
    )
    services.order_cancel(user=bob, order=theirs)
    client = _login(alice)
    url = reverse("exchange:trade", args=["ETH-KRW"])

    # When the trading page is opened, then the history's second page with another param
    first = _history_section(client.get(url).content.decode())
    second = _history_section(
        client.get(url, {"theme": "dark", "history_page": "2"}).content.decode()
    )

    # Then 20 rows with the count, then the last 3 and the other param kept; no sell of Bob's
    assert "1–20 of 23" in first and 'href="?history_page=2"' in first
    assert "21–23 of 23" in second and 'href="?theme=dark&amp;history_page=1"' in second
    assert first.count("<tr><td><time") == 20 and second.count("<tr><td><time") == 3
    assert "Sell" not in first + second


def _open_orders_section(html: str) -> str:
    return html.split('id="open-orders-title"', 1)[1].split('id="history-title"', 1)[0]


def test_open_orders_are_paginated_and_show_only_the_owners(market, alice, bob, fund):
    # Given 23 open buy orders of Alice's and an open sell order of Bob's (no match: above)
    fund(alice, market, krw=100_000_000)
    fund(bob, market, eth=ETH)
    for _ in range(23):
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 100
        )
    services.order_place(user=bob, market=market, side="sell", price=PRICE * 2, quantity=ETH // 100)
    client = _login(alice)
    url = reverse("exchange:trade", args=["ETH-KRW"])

    # When the trading page is opened, then the open orders' second page with the history's
    first = _open_orders_section(client.get(url).content.decode())
    second = _open_orders_section(
        client.get(url, {"history_page": "1", "orders_page": "2"}).content.decode()
    )

    # Then 20 rows with the count, then the last 3 with the other list's param kept; no order
    # of Bob's on either page, and each row cancels one of Alice's orders
    assert "1–20 of 23" in first and 'href="?orders_page=2"' in first
    assert "21–23 of 23" in second and 'href="?history_page=1&amp;orders_page=1"' in second
    assert first.count("<tr><td><time") == 20 and second.count("<tr><td><time") == 3
    assert "Sell" not in first + second
    theirs = Order.objects.get(owner=bob).public_id
    assert str(theirs) not in first + second
    mine = {str(pk) for pk in Order.objects.filter(owner=alice).values_list("public_id", flat=True)}
    shown = {
        line.split("/orders/", 1)[1].split("/", 1)[0]
        for line in (first + second).split('action="')[1:]
    }
    assert shown == mine


def test_trade_page_shows_the_last_price_and_the_lowest_taker_fee(market, alice, bob, fund):
    # Given no trade yet: no last price, the base tier's taker fee
    client = _login(alice)
    url = reverse("exchange:trade", args=["ETH-KRW"])
    before = client.get(url).content.decode()
    assert '<strong id="exchange-last">—</strong>' in before
    assert 'data-taker-bps="20"' in before

    # When Bob buys from Alice at PRICE, then at PRICE + 1,000, and a cheaper tier is added
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=10_000_000)
    for price in (PRICE, PRICE + 1_000):
        services.order_place(
            user=alice, market=market, side="sell", price=price, quantity=ETH // 10
        )
        services.order_place(user=bob, market=market, side="buy", price=price, quantity=ETH // 10)
    FeeTier.objects.create(name="cheaper", min_volume_30d=-1, maker_bps=5, taker_bps=7)

    # Then the page shows the last trade's price and the lowest tier's fee
    after = client.get(url).content.decode()
    assert '<strong id="exchange-last">3,001,000</strong>' in after
    assert 'data-taker-bps="7"' in after


def test_trade_page_queries(market, alice, fund, django_assert_max_num_queries):
    # Given a trader with balances, open orders and a past order
    fund(alice, market, krw=10_000_000)
    for _ in range(3):
        services.order_place(
            user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 100
        )
    services.order_cancel(user=alice, order=Order.objects.filter(owner=alice).first())
    client = _login(alice)
    url = reverse("exchange:trade", args=["ETH-KRW"])
    client.get(url)

    # When the trading page is shown again: session, user, the market with its last price and
    # fee, then balances, open orders and history in one statement
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert response.status_code == 200


def test_order_form_fields_follow_the_language_and_the_market(market, alice):
    # Given the trading page in English, then in Korean
    client = _login(alice)
    url = reverse("exchange:trade", args=["ETH-KRW"])
    english = client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    korean = client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # Then each language has its own labels
    assert '<label for="id_price">Price (KRW)</label>' in english
    assert '<label for="id_price">Price (KRW)</label>' not in korean
    assert 'name="price"' in korean

    # And a market of other assets labels its own
    usdc = AssetFactory(symbol="USDC", name="USD Coin", kind=Asset.Kind.FIAT, decimals=2)
    Market.objects.create(
        symbol="USDC-KRW",
        base=usdc,
        quote=market.quote,
        tick_size=1,
        lot_size=10**4,
        min_notional=1_000,
        status=Market.Status.OPEN,
    )
    other = client.get(reverse("exchange:trade", args=["USDC-KRW"]))
    assert '<label for="id_quantity">Quantity (USDC)</label>' in other.content.decode()


def test_trade_page_rows_and_the_parts_shared_by_a_pair(market, alice, fund):
    # Given an open order of Alice's, made at a known time, and a second market of other assets
    from datetime import UTC, datetime

    fund(alice, market, krw=10_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 100
    )
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 3, 1, 15, 30, 5, tzinfo=UTC))
    usd = AssetFactory(symbol="USD", name="US dollar", kind=Asset.Kind.FIAT, decimals=2)
    Market.objects.create(
        symbol="USD-KRW", base=usd, quote=market.quote, tick_size=1, lot_size=1, min_notional=0
    )
    client = _login(alice)

    # When both trading pages are shown
    eth = client.get(reverse("exchange:trade", args=["ETH-KRW"])).content.decode()
    dollar = client.get(reverse("exchange:trade", args=["USD-KRW"])).content.decode()

    # Then the order's row shows its time in Korea Standard Time and its cancel form, and each
    # page names its own pair's assets (the parts that show them are kept per pair)
    cancel = reverse("exchange:order-cancel", args=[order.public_id])
    assert '<time datetime="2026-03-02T00:30:05+09:00">2026-03-02 00:30:05</time>' in eth
    assert f'<form method="post" action="{cancel}">' in eth
    assert "(ETH)</th>" in eth and "(USD)</th>" not in eth
    assert "(USD)</th>" in dollar and "(ETH)</th>" not in dollar


# The rows' markup as the template wrote them from Order instances and the units filter before
# the trading page made them in the view (f51f6ae's trade.html): the reference the page must
# equal.
_ORM_ROWS = (Path(__file__).parent / "trade_rows_before.html").read_text()


def _orm_rows(user, market) -> list[str]:
    """The balances, open orders and history rows of `user` on `market`'s page as the ORM
    and the template made them, each a line of the reference's markup."""
    from django.template import Context, Template
    from django.utils import timezone

    from exchange import selectors

    def listed(is_open):
        orders = list(selectors.orders_for(user=user, market=market, is_open=is_open)[:20])
        for order in orders:
            created = timezone.localtime(order.created_at)
            order.created_iso = created.isoformat()
            order.created_shown = created.strftime("%Y-%m-%d %H:%M:%S")
            order.cancel_url = reverse("exchange:order-cancel", args=[order.public_id])
        return orders

    context = {
        "market": Market.objects.select_related("base", "quote").get(pk=market.pk),
        # by symbol, as the page orders them now (the query had no order: the rows' order in
        # the table, which every balance update changes)
        "balances": dict(sorted(selectors.balances_for(user=user).items())),
        "open_orders": listed(True),
        "history": listed(False),
        "csrf_token": "TOKEN",
    }
    html = Template(_ORM_ROWS).render(Context(context))
    return [line.strip() for line in html.splitlines() if line.strip()]


def _page_lines(html: str) -> list[str]:
    """The page's balance, order and history row lines, its CSRF tokens as the reference's."""
    import re

    html = re.sub(r'(name="csrfmiddlewaretoken" value=)"[^"]+"', r'\1"TOKEN"', html)
    return [
        line.strip()
        for line in html.splitlines()
        if line.strip().startswith(("<tr><td><time", "<td><form")) or 'id="balance-' in line
    ]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_trade_page_rows_equal_the_orm_and_templates_rows(market, alice, bob, fund, language):
    # Given Alice's open buy and sell, a partly filled buy, a filled sell, a cancelled buy and
    # a filled market buy, with balances in both assets (Bob takes the other sides)
    from django.utils import translation

    fund(alice, market, krw=100_000_000, eth=ETH)
    fund(bob, market, krw=100_000_000, eth=ETH)

    def place(user, **fields):
        return services.order_place(user=user, market=market, **fields)

    place(alice, side="buy", price=PRICE, quantity=ETH // 100)
    place(alice, side="sell", price=PRICE * 3, quantity=ETH // 50)
    place(alice, side="buy", price=PRICE + 1_000, quantity=ETH // 50)
    place(bob, side="sell", price=PRICE + 1_000, quantity=ETH // 100)
    place(alice, side="sell", price=PRICE * 2, quantity=ETH // 100)
    place(bob, side="buy", price=PRICE * 2, quantity=ETH // 100)
    services.order_cancel(
        user=alice, order=place(alice, side="buy", price=PRICE - 1_000, quantity=ETH // 100)
    )
    place(bob, side="sell", price=PRICE * 2 + 5_000, quantity=ETH // 100)
    place(alice, side="buy", kind="market", quote_amount=1_000_000, time_in_force="IOC")
    alice.preferred_language = language
    alice.save(update_fields=["preferred_language"])

    # When the trading page is shown
    html = (
        _login(alice)
        .get(reverse("exchange:trade", args=["ETH-KRW"]), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )

    # Then its balances and rows are the ORM and template's, line for line, in the language
    with translation.override(language):
        expected = _orm_rows(alice, market)
    assert _page_lines(html) == expected
    assert len(expected) == 2 + 2 * 2 + 4  # balances, open orders (two lines each), history
    with translation.override(language):
        filled, market_kind = str(Order.Status.FILLED.label), str(Order.Kind.MARKET.label)
    assert ("<td>Buy</td><td>Market</td>" in html) is (language == "en")
    assert f"<td>{market_kind}</td><td>0.01</td><td>60,050</td><td>{filled}</td>" in html


def test_trade_page_shows_each_balance_in_its_own_decimals(market, alice, fund):
    # Given Alice's ETH and KRW, and a market of two other assets
    fund(alice, market, krw=1_500_000, eth=ETH + ETH // 4)
    usd = AssetFactory(symbol="USD", name="US dollar", kind=Asset.Kind.FIAT, decimals=2)
    Market.objects.create(
        symbol="USD-KRW", base=usd, quote=market.quote, tick_size=1, lot_size=1, min_notional=0
    )
    client = _login(alice)

    # When the USD-KRW trading page is shown
    html = client.get(reverse("exchange:trade", args=["USD-KRW"])).content.decode()

    # Then ETH is shown in its 9 decimals (the template showed every asset but the market's
    # base in the quote's decimals: 1,250,000,000 ETH), KRW in its 0, in symbol order
    assert '<dt>ETH</dt><dd id="balance-ETH">1.25 (held 0)</dd>' in html
    assert '<dt>KRW</dt><dd id="balance-KRW">1,500,000 (held 0)</dd>' in html
    assert html.index('id="balance-ETH"') < html.index('id="balance-KRW"')


def test_an_open_orders_cancel_form_carries_a_token_csrf_accepts(market, alice, fund):
    # Given Alice's open order on her trading page, in a browser that CSRF checks
    import re

    fund(alice, market, krw=1_000_000)
    order = services.order_place(
        user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10
    )
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    html = browser.get(reverse("exchange:trade", args=["ETH-KRW"])).content.decode()
    row = _open_orders_section(html)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', row)[1]

    # When its cancel form is sent without the token, then with the row's token
    url = reverse("exchange:order-cancel", args=[order.public_id])
    refused = browser.post(url)
    order.refresh_from_db()
    status_after_refusal = order.status
    accepted = browser.post(url, {"csrfmiddlewaretoken": token})

    # Then the first is refused and changes nothing; the second cancels the order
    assert (refused.status_code, status_after_refusal) == (403, "open")
    assert accepted.status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_the_order_form_and_the_rows_send_one_token(market, alice, fund):
    # Given Alice's open order, on her trading page
    import re

    fund(alice, market, krw=1_000_000)
    services.order_place(user=alice, market=market, side="buy", price=PRICE, quantity=ETH // 10)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    # When the page is shown
    html = browser.get(reverse("exchange:trade", args=["ETH-KRW"])).content.decode()

    # Then every form of the page (the order form, the cancel form, the header's) carries the
    # same token
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) >= 3 and len(set(tokens)) == 1
