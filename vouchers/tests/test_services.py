"""The ledger services: top-ups, payments with cashback, refunds, gifts, freezes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from busanhub.bank.models import SandboxTransfer
from busanhub.bank.sandbox import sandbox_fault_add
from busanhub.chain.models import AnchorLeaf
from vouchers import selectors, services
from vouchers.models import Account, JournalTransaction, Payment, Posting, TopUp
from vouchers.tests.factories import UserFactory, approved_merchant, topped_up, verified_link

pytestmark = pytest.mark.django_db


def balances(user):
    return selectors.wallet_balances(wallet=selectors.wallet_for(user=user))


def assert_ledger_sound():
    totals = selectors.ledger_totals()
    assert totals["sum"] == 0
    assert totals["mismatched"] == []
    assert totals["negative"] == 0
    assert totals["unbalanced_transactions"] == 0


def test_topup_credits_the_wallet_through_the_bank_and_anchors_the_entry(citizen):
    # when
    topup = topped_up(citizen, 30_000)
    # then
    assert topup.status == TopUp.Status.COMPLETED
    assert balances(citizen) == {"cash": 30_000, "cashback": 0, "grants": 0, "total": 30_000}
    transfer = SandboxTransfer.objects.get(direction="in")
    assert (transfer.direction, transfer.amount, transfer.idempotency_key) == (
        "in",
        30_000,
        topup.bank_idempotency_key,
    )
    leaf = AnchorLeaf.objects.get(kind="vouchers.journal", ref=str(topup.journal.public_id))
    assert leaf.digest == topup.journal.digest and leaf.is_public is False
    assert services.system_account(Account.Kind.BANK).balance == -30_000
    assert_ledger_sound()


def test_topup_over_the_monthly_cap_is_refused_and_nothing_moves(citizen):
    topped_up(citizen, 400_000)
    with pytest.raises(ValidationError) as refused:
        topped_up(citizen, 100_001)
    assert "monthly top-up cap of 500000 KRW (100000 KRW left" in str(refused.value)
    assert balances(citizen)["total"] == 400_000
    assert (
        TopUp.objects.count() == 1 and SandboxTransfer.objects.filter(direction="in").count() == 1
    )


def test_topup_over_the_holding_cap_is_refused(citizen):
    services.policy_publish(holding_cap=50_000)
    topped_up(citizen, 40_000)
    with pytest.raises(ValidationError) as refused:
        topped_up(citizen, 10_001)
    assert refused.value.message_dict == {"amount": ["Over the holding cap of 50000 KRW."]}
    assert [error.code for error in refused.value.error_dict["amount"]] == ["over_limit"]
    assert balances(citizen)["total"] == 40_000


@pytest.mark.parametrize("amount", [0, -1, 1.5, "1000", True, None])
def test_bad_topup_amounts_are_refused_naming_the_field(citizen, amount):
    with pytest.raises(ValidationError) as refused:
        topped_up(citizen, amount)
    assert list(refused.value.message_dict) == ["amount"]
    assert not TopUp.objects.exists() and not Posting.objects.exists()


def test_declined_topup_posts_nothing(citizen):
    link = verified_link(citizen)
    sandbox_fault_add(kind="decline", account_ref=link.account_ref)
    with pytest.raises(ValidationError) as refused:
        services.topup_create(user=citizen, bank_link=link, amount=10_000)
    assert refused.value.message_dict == {"bank_account": ["The bank declined the transfer."]}
    assert TopUp.objects.get().status == TopUp.Status.DECLINED
    assert not Posting.objects.exists()


def test_bank_timeout_leaves_the_topup_pending_and_a_retry_credits_once(citizen):
    link = verified_link(citizen)
    sandbox_fault_add(kind="timeout_after", account_ref=link.account_ref)
    # when the bank times out after recording the transfer
    topup = services.topup_create(user=citizen, bank_link=link, amount=20_000)
    assert topup.status == TopUp.Status.PENDING and balances(citizen)["total"] == 0
    # then asking again (same key) credits exactly once
    assert services.topup_settle(topup_pk=topup.pk).status == TopUp.Status.COMPLETED
    assert services.topup_settle(topup_pk=topup.pk).status == TopUp.Status.COMPLETED
    assert balances(citizen)["cash"] == 20_000
    assert SandboxTransfer.objects.filter(direction="in").count() == 1


def test_payment_by_code_pays_the_merchant_and_cashback_to_a_resident(resident, merchant):
    topped_up(resident, 50_000)
    # when
    payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=12_345)
    # then: small merchant, 10 % rounded down
    assert (payment.amount, payment.from_cash, payment.cashback) == (12_345, 12_345, 1_234)
    assert balances(resident) == {"cash": 37_655, "cashback": 1_234, "grants": 0, "total": 38_889}
    assert selectors.merchant_balance(merchant=merchant) == 12_345
    assert payment.journal.postings.count() == 4
    assert_ledger_sound()


def test_no_cashback_without_a_resident_credential(citizen, merchant):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=10_000)
    assert payment.cashback == 0
    assert balances(citizen)["total"] == 0


@pytest.mark.parametrize(("tier", "cashback"), [("small", 1_000), ("medium", 500), ("large", 0)])
def test_cashback_follows_the_merchant_tier(resident, pool, tier, cashback):
    shop = approved_merchant(tier=tier)
    topped_up(resident, 10_000)
    payment = services.payment_create(payer=resident, merchant_code=shop.code, amount=10_000)
    assert payment.cashback == cashback


def test_cashback_stops_at_the_monthly_cap(resident, merchant):
    services.policy_publish(monthly_cashback_cap=1_500)
    topped_up(resident, 30_000)
    first = services.payment_create(payer=resident, merchant_code=merchant.code, amount=10_000)
    second = services.payment_create(payer=resident, merchant_code=merchant.code, amount=10_000)
    third = services.payment_create(payer=resident, merchant_code=merchant.code, amount=1_000)
    assert (first.cashback, second.cashback, third.cashback) == (1_000, 500, 0)


def test_cashback_is_spent_before_cash(resident, merchant):
    topped_up(resident, 20_000)
    services.payment_create(payer=resident, merchant_code=merchant.code, amount=10_000)
    second = services.payment_create(payer=resident, merchant_code=merchant.code, amount=3_000)
    assert (second.from_cashback, second.from_cash, second.cashback) == (1_000, 2_000, 300)
    assert balances(resident) == {"cash": 8_000, "cashback": 300, "grants": 0, "total": 8_300}


def test_over_balance_payment_is_refused_and_nothing_is_posted(resident, merchant):
    topped_up(resident, 5_000)
    before = Posting.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.payment_create(payer=resident, merchant_code=merchant.code, amount=5_001)
    assert refused.value.message_dict == {"amount": ["Insufficient balance for this payment."]}
    assert Posting.objects.count() == before and not Payment.objects.exists()
    assert balances(resident)["cash"] == 5_000


def test_unknown_unapproved_and_frozen_merchants_are_refused(citizen, pool):
    topped_up(citizen, 5_000)
    pending = services.merchant_apply(
        owner=UserFactory(),
        name="Pending shop",
        business_number="123-45-67890",
        category="cafe",
        address="Busan",
        latitude="35.1",
        longitude="129.0",
        tier="small",
        bank_account_ref="1",
    )
    frozen = approved_merchant()
    services.merchant_set_frozen(merchant=frozen, is_frozen=True, reason="audit")
    expected = {
        "NOPE": "Unknown merchant code.",
        pending.code: "This merchant is not approved to accept vouchers.",
        frozen.code: "This merchant is frozen and cannot accept payments.",
    }
    for code, message in expected.items():
        with pytest.raises(ValidationError) as refused:
            services.payment_create(payer=citizen, merchant_code=code, amount=1_000)
        assert refused.value.message_dict == {"merchant": [message]}
    assert not Payment.objects.exists() and balances(citizen)["cash"] == 5_000


def test_frozen_wallet_cannot_pay_until_unfrozen(citizen, merchant):
    topped_up(citizen, 5_000)
    wallet = selectors.wallet_for(user=citizen)
    services.wallet_freeze(wallet=wallet, reason="reported stolen phone")
    with pytest.raises(ValidationError) as refused:
        services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)
    assert refused.value.message_dict == {
        "wallet": ["This wallet is frozen: reported stolen phone"]
    }
    assert not Payment.objects.exists()
    services.wallet_unfreeze(wallet=wallet, reason="phone found")
    assert services.payment_create(payer=citizen, merchant_code=merchant.code, amount=1_000)


def test_large_payment_needs_reauthentication(citizen, merchant):
    services.policy_publish(reauth_threshold=10_000)
    topped_up(citizen, 20_000)
    with pytest.raises(ValidationError) as refused:
        services.payment_create(payer=citizen, merchant_code=merchant.code, amount=10_001)
    assert list(refused.value.message_dict) == ["password"]
    assert not Payment.objects.exists()
    payment = services.payment_create(
        payer=citizen, merchant_code=merchant.code, amount=10_001, reauthenticated=True
    )
    assert payment.amount == 10_001


def test_dynamic_request_is_paid_once_and_expires(citizen, merchant):
    topped_up(citizen, 20_000)
    request = services.payment_request_create(merchant=merchant, amount=4_000, by=merchant.owner)
    payment = services.payment_create(payer=citizen, request_id=request.public_id)
    assert (payment.amount, payment.request_id) == (4_000, request.pk)
    with pytest.raises(ValidationError) as again:
        services.payment_create(payer=citizen, request_id=request.public_id)
    assert again.value.message_dict == {
        "payment_request": ["This payment request has already been paid."]
    }
    late = services.payment_request_create(merchant=merchant, amount=1_000, by=merchant.owner)
    late.expires_at = timezone.now() - timedelta(seconds=1)
    late.save(update_fields=["expires_at"])
    with pytest.raises(ValidationError) as expired:
        services.payment_create(payer=citizen, request_id=late.public_id)
    assert expired.value.message_dict == {"payment_request": ["This payment request has expired."]}
    assert Payment.objects.count() == 1 and balances(citizen)["cash"] == 16_000


def test_only_the_owner_creates_payment_requests(citizen, merchant):
    with pytest.raises(ValidationError):
        services.payment_request_create(merchant=merchant, amount=1_000, by=citizen)


def test_partial_then_full_refund_reverses_the_cashback_exactly(resident, merchant):
    topped_up(resident, 10_000)
    payment = services.payment_create(payer=resident, merchant_code=merchant.code, amount=9_999)
    assert payment.cashback == 999
    # when refunding a third, then the rest
    first = services.refund_create(payment=payment, amount=3_333, by=merchant.owner)
    assert first.cashback_reversed == 333
    assert balances(resident) == {"cash": 3_001, "cashback": 999, "grants": 0, "total": 4_000}
    second = services.refund_create(payment=payment, amount=6_666, by=merchant.owner)
    # then the whole cashback came back to the pool and the citizen has their 10,000 again
    assert first.cashback_reversed + second.cashback_reversed == 999
    assert balances(resident)["total"] == 10_000
    payment.refresh_from_db()
    assert (payment.refunded, payment.cashback_reversed) == (9_999, 999)
    assert selectors.merchant_balance(merchant=merchant) == 0
    assert_ledger_sound()


def test_refund_beyond_the_payment_or_by_another_user_is_refused(citizen, merchant):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=5_000)
    with pytest.raises(ValidationError) as too_much:
        services.refund_create(payment=payment, amount=5_001, by=merchant.owner)
    assert too_much.value.message_dict == {
        "amount": ["At most 5000 KRW of this payment can still be refunded."]
    }
    with pytest.raises(ValidationError) as stranger:
        services.refund_create(payment=payment, amount=1, by=citizen)
    assert list(stranger.value.message_dict) == ["payment"]
    payment.refresh_from_db()
    assert payment.refunded == 0 and balances(citizen)["cash"] == 5_000


def test_refund_after_the_window_is_refused(citizen, merchant):
    topped_up(citizen, 10_000)
    payment = services.payment_create(payer=citizen, merchant_code=merchant.code, amount=5_000)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=31))
    with pytest.raises(ValidationError) as refused:
        services.refund_create(payment=payment, amount=1_000, by=merchant.owner)
    assert refused.value.message_dict == {"payment": ["The refund window of 30 days is over."]}


def test_gift_moves_cash_within_the_daily_limit(citizen):
    friend = UserFactory(email="friend@example.kr")
    topped_up(citizen, 300_000)
    gift = services.gift_send(
        sender=citizen, recipient_email=friend.email, amount=150_000, message="생일 축하"
    )
    assert gift.amount == 150_000 and balances(friend)["cash"] == 150_000
    with pytest.raises(ValidationError) as refused:
        services.gift_send(sender=citizen, recipient_email=friend.email, amount=50_001)
    assert refused.value.message_dict == {
        "amount": ["Over the daily gift limit of 200000 KRW (50000 KRW left today)."]
    }
    assert balances(citizen)["cash"] == 150_000 and balances(friend)["cash"] == 150_000


def test_gift_to_oneself_or_no_address_is_refused(citizen):
    topped_up(citizen, 1_000)
    for email in [citizen.email, " MINJI@example.kr", "", "not-an-address"]:
        with pytest.raises(ValidationError) as refused:
            services.gift_send(sender=citizen, recipient_email=email, amount=100)
        assert list(refused.value.message_dict) == ["recipient"]
    assert balances(citizen)["cash"] == 1_000


def test_policy_versions_are_anchored_publicly():
    first = services.policy_publish(holding_cap=1_000_000)
    second = services.policy_publish(gift_daily_limit=100_000)
    assert (first.version, second.version) == (1, 2)
    assert services.policy_current().holding_cap == 1_000_000
    leaves = AnchorLeaf.objects.filter(kind="vouchers.policy", ref="voucher-policy")
    assert sorted(leaves.values_list("version", flat=True)) == [1, 2]
    assert leaves.get(version=2).is_public and leaves.get(version=2).digest == second.digest


def test_excluded_category_cannot_apply(citizen):
    with pytest.raises(ValidationError) as refused:
        services.merchant_apply(
            owner=citizen,
            name="Mega Mart",
            business_number="222-33-44444",
            category="large_mart",
            address="Busan",
            latitude="35.1",
            longitude="129.0",
            tier="large",
            bank_account_ref="1",
        )
    assert refused.value.message_dict == {
        "category": ["This category cannot accept Busan vouchers."]
    }


def test_approval_gives_the_merchant_role_and_credential(db, pool):
    from identity import selectors as identity_selectors

    merchant = approved_merchant()
    assert merchant.owner.groups.filter(name="merchant").exists()
    assert identity_selectors.user_has_valid_credential(
        user=merchant.owner, credential_type="MerchantCredential", claims={"tier": "small"}
    )
    assert AnchorLeaf.objects.filter(kind="vouchers.merchant", ref=merchant.code).exists()


def test_unbalanced_journal_is_refused():
    treasury = services.system_account(Account.Kind.TREASURY)
    pool = services.system_account(Account.Kind.INCENTIVE)
    with pytest.raises(ValueError, match="sum to 1"):
        services.journal_post(kind="funding", lines=[(treasury, -1), (pool, 2)])
    assert not JournalTransaction.objects.exists()
