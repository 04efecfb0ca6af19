"""The trading page on a phone (390×844) and a desktop (1366×900), in Korean and English: it
fits the screen, the order book and the order form sit side by side on the desktop, a market
order hides the price and is IOC, its cost preview walks the seeded book, and the order placed
appears in the history with its Seoul time. The preview's pure function is unit-tested in the
same browser."""

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from exchange import services
from exchange.models import Order
from exchange.tests.factories import fee_tiers, kyc_user, market_eth_krw
from tests.browser.viewports import VIEWPORTS, fits_width, page_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

GWEI = 10**9  # ledger units of one ETH
TEXT = {
    "ko": {"place": "주문", "placed": "주문 접수", "filled": "체결", "market": "시장가"},
    "en": {
        "place": "Place order",
        "placed": "Order placed",
        "filled": "Filled",
        "market": "Market",
    },
}


@pytest.fixture
def seeded_book(transactional_db):
    """ETH-KRW with asks of 0.1 ETH at 3,000,000 KRW and 0.2 ETH at 3,010,000 KRW, and a bid
    of 0.1 ETH at 2,990,000 KRW (taker fee 20 bp)."""
    fee_tiers()
    market = market_eth_krw()
    maker = kyc_user(email="maker@example.kr")
    services.deposit_credit(
        owner_id=maker.pk, asset=market.base, amount=GWEI, kind="bank_deposit", reference="m1"
    )
    services.deposit_credit(
        owner_id=maker.pk, asset=market.quote, amount=1_000_000, kind="bank_deposit", reference="m2"
    )
    for side, price, quantity in (
        ("sell", 3_000_000, GWEI // 10),
        ("sell", 3_010_000, GWEI // 5),
        ("buy", 2_990_000, GWEI // 10),
    ):
        services.order_place(user=maker, market=market, side=side, price=price, quantity=quantity)
    return market


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_trading_page_layout_market_preview_and_history(
    live_server, browser, seeded_book, screen, language
):
    # Given a KYC-verified buyer with 2,000,000 KRW, in her language, on a phone or a desktop
    text = TEXT[language]
    buyer = kyc_user(email="buyer@example.kr", preferred_language=language)
    services.deposit_credit(
        owner_id=buyer.pk,
        asset=seeded_book.quote,
        amount=2_000_000,
        kind="bank_deposit",
        reference="b1",
    )
    page = page_in(browser, live_server, screen=screen, language=language, user=buyer)
    page.goto(f"{live_server.url}/exchange/markets/ETH-KRW/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#exchange-asks tr")).to_have_count(2)
    expect(page.locator("#exchange-chart canvas").first).to_be_visible()

    # The page fits the screen; the chart is above the book and the form
    fits_width(page, VIEWPORTS[screen]["width"])
    chart = page.locator("#exchange-chart").bounding_box()
    book = page.locator(".exchange-book-section").bounding_box()
    order = page.locator(".exchange-order-section").bounding_box()
    assert chart["y"] + chart["height"] <= book["y"]
    if screen == "desktop":  # side by side, tops aligned
        assert book["x"] + book["width"] <= order["x"]
        assert abs(book["y"] - order["y"]) < 2
    else:  # stacked: the form below the book, both the screen's width
        assert order["y"] >= book["y"] + book["height"]
        assert abs(book["width"] - order["width"]) < 2

    # A limit order shows price, time in force (GTC) and post-only, not the amount to spend
    form = page.locator("#exchange-order-form")
    expect(form.locator("#id_price")).to_be_visible()
    expect(form.locator("#id_time_in_force")).to_have_value("GTC")
    expect(form.locator("#id_quote_amount")).to_be_hidden()

    # Switching to market hides the price and post-only and selects IOC
    form.locator("#id_side").select_option("buy")
    form.locator("#id_kind").select_option("market")
    expect(form.locator("#id_price")).to_be_hidden()
    expect(form.locator("#id_post_only")).to_be_hidden()
    expect(form.locator("#id_time_in_force")).to_have_value("IOC")
    expect(form.locator('#id_time_in_force option[value="GTC"]')).to_be_disabled()
    expect(form.locator("#id_quote_amount")).to_be_visible()

    # The preview walks the book: 0.1 ETH at 3,000,000 + 0.15 ETH at 3,010,000
    form.locator("#id_quantity").fill("0.25")
    expect(page.locator("#exchange-estimate-total")).to_have_text("751,500")
    expect(page.locator("#exchange-estimate-price")).to_have_text("3,006,000")
    expect(page.locator("#exchange-estimate-quantity")).to_have_text("0.25")
    expect(page.locator("#exchange-estimate-fee")).to_have_text("1,503 KRW (0.20 %)")
    expect(page.locator("#exchange-liquidity")).to_be_hidden()

    # More than the book holds: "insufficient liquidity"
    form.locator("#id_quantity").fill("0.5")
    expect(page.locator("#exchange-liquidity")).to_be_visible()
    expect(page.locator("#exchange-estimate-quantity")).to_have_text("0.3")
    fits_width(page, VIEWPORTS[screen]["width"])

    # The order of 0.25 ETH is placed and appears in the history with its Seoul time
    form.locator("#id_quantity").fill("0.25")
    expect(page.locator("#exchange-liquidity")).to_be_hidden()
    page.get_by_role("button", name=text["place"], exact=True).click()
    expect(page.locator(".message")).to_contain_text(text["placed"])
    placed = Order.objects.get(owner=buyer)
    assert (placed.kind, placed.time_in_force, placed.filled_quote) == ("market", "IOC", 751_500)
    seoul = placed.created_at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M:%S")
    first = page.locator(".exchange-history tbody tr").first
    expect(first.locator("td")).to_have_text(
        [seoul, re.compile("."), text["market"], "0.25", "751,500", text["filled"]]
    )
    expect(page.locator(".exchange-history thead")).to_contain_text("KST")
    fits_width(page, VIEWPORTS[screen]["width"])
    assert page.csp_violations == []


CASES = """
const E = window.BusanExchange;
const asks = [["3000000", "100000000"], ["3010000", "200000000"]];
const bids = [["2990000", "100000000"], ["2980000", "50000000"]];
const scale = 1000000000n, lot = 1000000n;
const show = (e) => [String(e.quantity), String(e.total), String(e.averagePrice), e.isComplete];
return {
  byQuantity: show(E.estimateMarketOrder({side: "buy", levels: asks, quantity: 250000000n,
    scale, lot})),
  tooThin: show(E.estimateMarketOrder({side: "buy", levels: asks, quantity: 500000000n,
    scale, lot})),
  byQuote: show(E.estimateMarketOrder({side: "buy", levels: asks, quantity: 0n,
    quoteAmount: 600000n, scale, lot})),
  quoteTooThin: show(E.estimateMarketOrder({side: "buy", levels: asks, quoteAmount: 5000000n,
    scale, lot})),
  sell: show(E.estimateMarketOrder({side: "sell", levels: bids, quantity: 120000000n,
    scale, lot})),
  emptyBook: show(E.estimateMarketOrder({side: "sell", levels: [], quantity: 1n, scale, lot})),
  nothingAsked: show(E.estimateMarketOrder({side: "buy", levels: asks, scale, lot})),
  price: E.formatPrice(3000000, {locale: "ko", decimals: 0, quote: "KRW"}),
  priceEn: E.formatPrice(12345.5, {locale: "en", decimals: 2, quote: "KRW"}),
  units: E.formatUnits("1234500000", 9),
  parsed: String(E.parseUnits("1,234.5", 2)),
  refused: E.parseUnits("1.234", 2),
  seoul: E.formatSeoulTime(new Date("2026-12-04T15:20:03Z"), {withDate: true}),
};
"""


def test_market_estimate_pure_function(live_server, browser, seeded_book):
    page = page_in(browser, live_server, screen="desktop", language="en")
    page.goto(f"{live_server.url}/exchange/markets/ETH-KRW/")
    expect(page.locator("#exchange-asks tr")).to_have_count(2)

    results = page.evaluate(f"() => {{ {CASES} }}")

    assert results == {
        "byQuantity": ["250000000", "751500", "3006000", True],
        "tooThin": ["300000000", "902000", "3006666", False],
        # 300,000 at 3,000,000; the other 300,000 buys 99 lots of 0.001 at 3,010,000
        "byQuote": ["199000000", "597990", "3004974", True],
        "quoteTooThin": ["300000000", "902000", "3006666", False],
        "sell": ["120000000", "358600", "2988333", True],
        "emptyBook": ["0", "0", "null", False],
        "nothingAsked": ["0", "0", "null", True],
        "price": "3,000,000 KRW",
        "priceEn": "12,345.5 KRW",
        "units": "1.2345",
        "parsed": "123450",
        "refused": None,
        "seoul": "2026-12-05 00:20:03",
    }
    assert page.csp_violations == []
