"""Two KYC-verified customers trade on the exchange in a real Chromium, against a real anvil:
one deposits on chain and rests a limit order, the other buys at market; both see the trade,
the book, the candle and their balances; one downloads and checks a proof of liabilities."""

import re

import pytest
from playwright.sync_api import expect

from busanhub.chain import testing as chain_testing
from exchange import services
from exchange.tests import chainkit
from exchange.tests.factories import ETH, fee_tiers, kyc_user, market_eth_krw
from tests.browser.helpers import signed_in_page


def _signed_in_page(browser, live_server, user):
    return signed_in_page(
        browser, live_server, user, viewport={"width": 1024, "height": 900}, accept_downloads=True
    )


pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_deposit_trade_and_proof(live_server, browser, chain, settings, tmp_path):
    settings.EXCHANGE_CONFIRMATIONS = 3
    fee_tiers()  # maker 10 bp, taker 20 bp
    market = market_eth_krw()
    alice = kyc_user(email="alice@example.kr")
    bob = kyc_user(email="bob@example.kr")
    services.deposit_credit(
        owner_id=bob.pk, asset=market.quote, amount=2_000_000, kind="bank_deposit", reference="test"
    )
    seller = _signed_in_page(browser, live_server, alice)
    buyer = _signed_in_page(browser, live_server, bob)

    # Alice finds her deposit address (with its QR code) and sends 1 ETH to it on chain
    seller.goto(f"{live_server.url}/exchange/wallet/")
    expect(seller.locator("img.exchange-qr")).to_be_visible()
    address = seller.locator("#deposit-address").inner_text()
    chainkit.send_ether(chain, address, 10**18)
    chainkit.mine(chain, 2)
    assert services.deposits_scan()["credited"] == 1  # the periodic scanner task's work
    seller.reload()
    expect(seller.locator('.balance-available[data-symbol="ETH"]')).to_have_text("1")

    # She rests a limit sell of 0.5 ETH at 3,000,000 KRW; the preview shows the total
    seller.goto(f"{live_server.url}/exchange/markets/ETH-KRW/")
    seller.locator("#id_side").select_option("sell")
    seller.locator("#id_kind").select_option("limit")
    seller.locator("#id_price").fill("3000000")
    seller.locator("#id_quantity").fill("0.5")
    expect(seller.locator("#exchange-total")).to_have_text("1,500,000")
    seller.get_by_role("button", name="주문", exact=True).click()
    expect(seller.locator(".message")).to_contain_text("주문 접수")
    expect(seller.locator("#exchange-asks tr")).to_have_text(["3,000,0000.5"])

    # Bob buys at market for 600,000 KRW
    buyer.goto(f"{live_server.url}/exchange/markets/ETH-KRW/")
    expect(buyer.locator("#exchange-asks tr")).to_have_count(1)
    buyer.locator("#id_side").select_option("buy")
    buyer.locator("#id_kind").select_option("market")
    buyer.locator("#id_quote_amount").fill("600000")
    buyer.locator("#id_time_in_force").select_option("IOC")
    buyer.get_by_role("button", name="주문", exact=True).click()
    expect(buyer.locator(".message")).to_contain_text("체결")

    # Both see the trade, the book, the candle and their balances
    for page in (seller, buyer):
        if page is seller:
            page.reload()
        expect(page.locator("#exchange-trades tr").first).to_contain_text("3,000,000")
        expect(page.locator("#exchange-trades tr").first).to_contain_text("0.2")
        expect(page.locator("#exchange-asks tr")).to_have_text(["3,000,0000.3"])
        expect(page.locator("#exchange-candle-count")).to_have_text("캔들 1개")  # ngettext
        expect(page.locator("#exchange-chart canvas").first).to_be_visible()
    expect(buyer.locator("#balance-ETH")).to_contain_text("0.1996")  # 0.2 less the 20 bp fee
    expect(buyer.locator("#balance-KRW")).to_contain_text("1,400,000")
    expect(seller.locator("#balance-KRW")).to_contain_text("599,400")  # 600,000 less 10 bp

    # The exchange snapshots its liabilities; the root is anchored on chain
    snapshot = services.liabilities_snapshot()
    chain_testing.anchor_pending()

    # Alice downloads her inclusion proof and checks it on the proof page
    seller.goto(f"{live_server.url}/exchange/proof/")
    expect(seller.locator("#proof-root")).to_have_text(snapshot.root)
    with seller.expect_download() as download_info:
        seller.locator("#proof-download").click()
    proof_path = tmp_path / "proof.json"
    download_info.value.save_as(proof_path)
    assert '"anchorReceipt"' in proof_path.read_text()
    seller.locator("#id_proof").set_input_files(str(proof_path))
    seller.get_by_role("button", name="확인", exact=True).click()
    expect(seller.locator("#proof-result")).to_contain_text(re.compile("유효"))
    expect(seller.locator("#proof-result")).to_contain_text(snapshot.root)

    assert seller.csp_violations == []
    assert buyer.csp_violations == []
    assert ETH == 10**9
