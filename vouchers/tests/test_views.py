"""Citizen, merchant and staff pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vouchers import selectors, services
from vouchers.models import Merchant, Payment, Policy, Wallet
from vouchers.tests.factories import StaffFactory, UserFactory, topped_up, verified_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return StaffFactory(roles=["staff-vouchers"], preferred_language="en")


def test_wallet_page_needs_login(client):
    response = client.get(reverse("vouchers:home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wallet_page_shows_the_split(client, resident, merchant):
    topped_up(resident, 10_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=5_000)
    client.force_login(resident)
    page = client.get(reverse("vouchers:home")).content.decode()
    assert '<span data-testid="balance-total">5,500 KRW</span>' in page
    assert '<dd data-testid="balance-cash">5,000 KRW</dd>' in page
    assert '<dd data-testid="balance-cashback">500 KRW</dd>' in page
    assert "Verify on chain" in page


def test_wallet_page_rows_show_korean_time_and_their_links(client, resident, merchant):
    # Given a payment made at a known time (15:30 UTC: past midnight in Korea)
    from datetime import UTC, datetime

    from vouchers.models import JournalTransaction

    topped_up(resident, 10_000)
    payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=5_000)
    moment = datetime(2026, 3, 1, 15, 30, 5, tzinfo=UTC)
    Payment.objects.filter(pk=payment.pk).update(created_at=moment)
    JournalTransaction.objects.filter(pk=payment.journal_id).update(created_at=moment)
    client.force_login(resident)

    # When the wallet page is shown
    page = client.get(reverse("vouchers:home")).content.decode()

    # Then the payment and its postings show the Korean date and time, the receipt and the
    # verification links
    receipt = reverse("vouchers:receipt", args=[payment.public_id])
    verify = reverse("chain:verify-digest", args=[payment.journal.digest])
    assert '<td><span class="nowrap">2026-03-02</span> 00:30</td>' in page
    assert f'<td><a href="{receipt}">Receipt</a></td>' in page
    assert f'<a href="{verify}">Verify on chain</a>' in page


def test_wallet_page_in_korean(client, citizen):
    citizen.preferred_language = "ko"
    citizen.save(update_fields=["preferred_language"])
    client.force_login(citizen)
    page = client.get(reverse("vouchers:home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "부산 디지털 바우처" in page and "잔액" in page


def test_topup_form_refuses_over_the_cap_with_a_field_error(client, citizen):
    link = verified_link(citizen)
    client.force_login(citizen)
    response = client.post(
        reverse("vouchers:topup"), {"amount": 500_001, "bank_account": str(link.public_id)}
    )
    assert response.status_code == 200
    assert "Over the monthly top-up cap" in response.content.decode()
    assert selectors.wallet_balances(wallet=selectors.wallet_for(user=citizen))["total"] == 0


def test_pay_by_code_then_receipt_with_verify_link(client, citizen, merchant):
    topped_up(citizen, 10_000)
    client.force_login(citizen)
    found = client.get(reverse("vouchers:pay"), {"code": merchant.code.lower()})
    assert found["Location"] == reverse("vouchers:pay-merchant", args=[merchant.code])
    unknown = client.get(reverse("vouchers:pay"), {"code": "NOPE"})
    assert "Unknown merchant code." in unknown.content.decode()
    paid = client.post(found["Location"], {"amount": 3_000})
    payment = Payment.objects.get()
    assert paid["Location"] == reverse("vouchers:receipt", args=[payment.public_id])
    receipt = client.get(paid["Location"]).content.decode()
    assert f'href="/verify/{payment.journal.digest}"' in receipt
    assert '<dd data-testid="receipt-amount">3,000 KRW</dd>' in receipt


def test_over_balance_on_the_page_is_a_form_error(client, citizen, merchant):
    client.force_login(citizen)
    response = client.post(reverse("vouchers:pay-merchant", args=[merchant.code]), {"amount": 1})
    assert response.status_code == 200
    assert "Insufficient balance for this payment." in response.content.decode()
    assert not Payment.objects.exists()


def test_expired_request_page_says_so(client, citizen, merchant):
    request = services.payment_request_create(merchant=merchant, amount=1_000, by=merchant.owner)
    request.expires_at = timezone.now() - timedelta(seconds=1)
    request.save(update_fields=["expires_at"])
    client.force_login(citizen)
    page = client.get(reverse("vouchers:pay-request", args=[request.public_id])).content.decode()
    assert "This payment request has expired." in page and "Pay now" not in page


def test_someone_elses_receipt_is_404(client, citizen, merchant):
    topped_up(citizen, 1_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)
    client.force_login(UserFactory())
    assert client.get(reverse("vouchers:receipt", args=[payment.public_id])).status_code == 404


def test_merchant_dashboard_request_qr_and_refund(client, citizen, merchant):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=6_000)
    client.force_login(merchant.owner)
    dashboard = client.get(reverse("vouchers:merchant-home"), follow=True).content.decode()
    assert '<dd data-testid="today-gross">6,000 KRW</dd>' in dashboard
    assert "data:image/svg+xml;base64," in dashboard
    made = client.post(
        reverse("vouchers:merchant-request", args=[merchant.code]), {"amount": 2_500}
    )
    assert 'data-testid="pay-link"' in made.content.decode()
    refunded = client.post(
        reverse("vouchers:merchant-refund", args=[payment.public_id]), {"amount": 2_000}
    )
    assert refunded.status_code == 302
    payment.refresh_from_db()
    assert payment.refunded == 2_000
    too_much = client.post(
        reverse("vouchers:merchant-refund", args=[payment.public_id]), {"amount": 9_000}
    )
    assert too_much.status_code == 400
    assert "At most 4000 KRW" in too_much.content.decode()


def test_another_user_cannot_open_a_merchant_dashboard(client, citizen, merchant):
    client.force_login(citizen)
    url = reverse("vouchers:merchant-dashboard", args=[merchant.code])
    assert client.get(url).status_code == 404


def test_merchant_application_form_refuses_excluded_categories(client, citizen):
    client.force_login(citizen)
    form = {
        "name": "Big Mart",
        "business_number": "333-44-55555",
        "category": "large_mart",
        "address": "Busan",
        "latitude": "35.1",
        "longitude": "129.0",
        "tier": "large",
        "bank_account_ref": "1",
    }
    refused = client.post(reverse("vouchers:merchant-apply"), form)
    assert "This category cannot accept Busan vouchers." in refused.content.decode()
    assert not Merchant.objects.exists()
    accepted = client.post(reverse("vouchers:merchant-apply"), {**form, "category": "bakery"})
    assert accepted.status_code == 302
    assert Merchant.objects.get().status == Merchant.Status.PENDING


def test_settlement_reports_for_the_merchant_and_staff_only(client, citizen, merchant, staff):
    topped_up(citizen, 5_000)
    services.payment_create(payer=citizen, merchant_code=merchant.code, amount=5_000)
    settlement = services.settlement_create(merchant=merchant, business_date=timezone.localdate())
    url = reverse("vouchers:settlement-report", args=[settlement.public_id, "xlsx"])
    client.force_login(citizen)
    assert client.get(url).status_code == 403
    client.force_login(merchant.owner)
    response = client.get(url)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    client.force_login(staff)
    csv_response = client.get(
        reverse("vouchers:settlement-report", args=[settlement.public_id, "csv"])
    )
    assert csv_response.content.decode().startswith("time,type,payment,amount_krw,digest")


def test_staff_approve_freeze_and_publish_policy_in_the_admin(client, staff, citizen, pool):
    application = services.merchant_apply(
        owner=citizen,
        name="Bakery",
        business_number="444-55-66666",
        category="bakery",
        address="Busan",
        latitude="35.1",
        longitude="129.0",
        tier="small",
        bank_account_ref="1",
    )
    client.force_login(staff)
    for model in [
        "merchant",
        "policy",
        "grantprogramme",
        "wallet",
        "account",
        "journaltransaction",
        "payment",
        "settlement",
        "dailyclose",
    ]:
        assert client.get(reverse(f"admin:vouchers_{model}_changelist")).status_code == 200
    client.post(
        reverse("admin:vouchers_merchant_changelist"),
        {"action": "approve", "_selected_action": [application.pk]},
    )
    application.refresh_from_db()
    assert application.status == Merchant.Status.APPROVED
    wallet = services.wallet_open(user=citizen)
    client.post(
        reverse("admin:vouchers_wallet_changelist"),
        {"action": "freeze", "_selected_action": [wallet.pk], "reason": "court order 12"},
    )
    assert Wallet.objects.get(pk=wallet.pk).frozen_reason == "court order 12"
    response = client.post(
        reverse("admin:vouchers_policy_add"),
        {
            "monthly_topup_cap": 400_000,
            "holding_cap": 1_500_000,
            "cashback_small_bp": 1_000,
            "cashback_medium_bp": 500,
            "cashback_large_bp": 0,
            "monthly_cashback_cap": 50_000,
            "reauth_threshold": 200_000,
            "refund_window_days": 30,
            "gift_daily_limit": 200_000,
            "excluded_categories": ["large_mart", "department_store"],
        },
    )
    assert response.status_code == 302
    assert Policy.objects.get().version == 1
    assert services.policy_current().monthly_topup_cap == 400_000


def test_staff_upload_grant_recipients(client, staff, citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    programme = services.programme_create(
        name="Relief",
        amount=10_000,
        eligible_categories=["grocery"],
        valid_until=timezone.now() + timedelta(days=5),
    )
    client.force_login(staff)
    url = reverse("admin:vouchers_grantprogramme_upload", args=[programme.pk])
    bad = client.post(url, {"file": SimpleUploadedFile("r.csv", b"email\nghost@example.kr\n")})
    assert "Line 2: no BusanHub user has this email." in bad.content.decode()
    good = client.post(url, {"file": SimpleUploadedFile("r.csv", b"email\nminji@example.kr\n")})
    assert good.status_code == 302
    assert selectors.wallet_balances(wallet=selectors.wallet_for(user=citizen))["grants"] == 10_000


def test_auditor_sees_but_cannot_act(client, citizen):
    auditor = StaffFactory(roles=["auditor"])
    client.force_login(auditor)
    assert client.get(reverse("admin:vouchers_merchant_changelist")).status_code == 200
    assert client.get(reverse("admin:vouchers_policy_add")).status_code == 403


def test_large_payment_on_the_page_asks_for_the_password(client, citizen, merchant):
    from vouchers.tests.factories import PASSWORD

    services.policy_publish(reauth_threshold=1_000)
    topped_up(citizen, 5_000)
    client.force_login(citizen)
    url = reverse("vouchers:pay-merchant", args=[merchant.code])
    asked = client.post(url, {"amount": 2_000}).content.decode()
    assert "Payments above 1000 KRW need your password again." in asked
    wrong = client.post(url, {"amount": 2_000, "password": "nope"}).content.decode()
    assert "The password is not correct." in wrong
    assert not Payment.objects.exists()
    assert client.post(url, {"amount": 2_000, "password": PASSWORD}).status_code == 302
    assert Payment.objects.get().amount == 2_000
