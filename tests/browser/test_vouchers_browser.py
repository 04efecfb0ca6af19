"""Busan Digital Voucher end to end in a real Chromium: a resident links and verifies a bank
account, tops up, opens a shop's
dynamic payment link, pays, sees the cashback and the receipt with its verify link; the
merchant sees the payment and refunds part of it."""

import re

import pytest
from playwright.sync_api import expect

from busanhub.accounts.tests.factories import UserFactory
from tests.browser.helpers import signed_in_page as _signed_in_page
from vouchers.models import Payment
from vouchers.tests.factories import approved_merchant, fund_pool, make_resident

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_topup_pay_by_dynamic_link_receipt_and_partial_refund(browser, live_server):
    fund_pool()
    citizen = UserFactory(email="minji@example.kr")
    make_resident(citizen)
    merchant = approved_merchant(owner=UserFactory(email="shop@example.kr"))
    citizen_page = _signed_in_page(browser, live_server, citizen)
    shop_page = _signed_in_page(browser, live_server, merchant.owner)

    # The citizen links a bank account, types back the code of the 1 KRW transfer (the sandbox
    # bank shows its memo on the page), and tops up 30,000 KRW from it.
    citizen_page.goto(f"{live_server.url}/vouchers/bank-links/")
    citizen_page.get_by_label("은행", exact=True).select_option("088")
    citizen_page.get_by_label("계좌번호").fill("110-123-456789")
    citizen_page.get_by_role("button", name="1원 송금하기").click()
    memo = citizen_page.get_by_test_id("sandbox-memo").locator("code").inner_text()
    citizen_page.get_by_label("1원 입금 내역 메모의 숫자").fill(memo.split()[-1])
    citizen_page.get_by_role("button", name="계좌 인증").click()
    expect(citizen_page.get_by_text("신한은행 ···6789")).to_be_visible()
    citizen_page.goto(f"{live_server.url}/vouchers/")
    citizen_page.get_by_label("금액 (원)").fill("30000")
    citizen_page.get_by_label("연결 은행 계좌").select_option(label="신한은행 ···6789")
    citizen_page.get_by_role("button", name="충전하기").click()
    expect(citizen_page.get_by_test_id("balance-total")).to_have_text("30,000원")

    # The merchant makes a 12,000 KRW payment QR.
    shop_page.goto(f"{live_server.url}/vouchers/merchant/")
    shop_page.get_by_label("금액 (원)").fill("12000")
    shop_page.get_by_role("button", name="결제 QR 만들기 (5분)").click()
    link = shop_page.get_by_test_id("pay-link").get_attribute("href")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/vouchers/pay/r/[0-9a-f-]{{36}}/", link)

    # The citizen opens the link, sees the shop and the amount, pays.
    citizen_page.goto(link)
    expect(citizen_page.get_by_test_id("merchant-name")).to_contain_text(merchant.name)
    expect(citizen_page.get_by_test_id("request-amount")).to_have_text("12,000원")
    citizen_page.get_by_role("button", name="지금 결제").click()
    expect(citizen_page.get_by_role("heading", name="영수증")).to_be_visible()
    expect(citizen_page.get_by_test_id("receipt-cashback")).to_have_text("1,200원")
    payment = Payment.objects.get()
    verify = citizen_page.get_by_test_id("verify-link")
    expect(verify).to_have_attribute("href", f"/verify/{payment.journal.digest}")
    citizen_page.goto(f"{live_server.url}/vouchers/")
    expect(citizen_page.get_by_test_id("balance-cash")).to_have_text("18,000원")
    expect(citizen_page.get_by_test_id("balance-cashback")).to_have_text("1,200원")

    # The merchant sees the payment and refunds 3,000 KRW of it.
    shop_page.goto(f"{live_server.url}/vouchers/merchant/")
    expect(shop_page.get_by_test_id("today-gross")).to_have_text("12,000원")
    shop_page.get_by_role("link", name="상세 및 환불").click()
    shop_page.get_by_label("환불 금액 (원)").fill("3000")
    shop_page.get_by_role("button", name="환불", exact=True).click()
    expect(shop_page.get_by_test_id("receipt-refunded")).to_have_text("3,000원")
    payment.refresh_from_db()
    assert (payment.refunded, payment.cashback_reversed) == (3_000, 300)

    assert citizen_page.csp_violations == [] and shop_page.csp_violations == []
    citizen_page.context.close()
    shop_page.context.close()
