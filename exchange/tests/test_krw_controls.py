"""KRW in and out of the exchange (issue 14 items 2, 3, 12): only the customer's own proven
bank links, the same controls as chain withdrawals (caps counted together, new-destination
wait, staff approval by another person), and every money amount bounded."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from busanhub.bank import links
from busanhub.bank.models import BankLink, SandboxTransfer
from exchange import selectors, services
from exchange.amounts import MAX_AMOUNT
from exchange.models import BankTransfer, ChainWithdrawal, Order
from exchange.tests.factories import ETH, kyc_user, verified_link

API = "/api/v1/exchange"
TARGET = "0x000000000000000000000000000000000000dEaD"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _nothing_moved(user, krw_before):
    assert not BankTransfer.objects.filter(owner=user).exists()
    assert not SandboxTransfer.objects.exclude(amount=1).exists()  # only 1-KRW verifications
    assert selectors.balances_for(user=user).get("KRW") == krw_before


def test_krw_deposit_refuses_any_account_but_the_users_own_verified_link(market, alice, bob):
    # Given Bob's verified link, Alice's link still waiting for its code
    bobs = verified_link(bob)
    unverified = links.bank_link_add(user=alice, bank_code="032", account_number="1234567890")
    client = _client(alice)

    # When Alice asks to pull KRW from Bob's account, her unverified one, a typed account
    # number (the old door) or a script
    answers = [
        client.post(f"{API}/krw/deposits/", body, format="json")
        for body in (
            {"bank_link": str(bobs.public_id), "amount": 50_000},
            {"bank_link": str(unverified.public_id), "amount": 50_000},
            {"account_ref": "088-000000000001", "amount": 50_000},
            {"bank_link": "<script>alert(1)</script>", "amount": 50_000},
        )
    ]

    # Then each is a 400 naming bank_link, the bank is never asked and nothing is credited
    fields = [(a.status_code, [e["field"] for e in a.json()["errors"]]) for a in answers]
    assert fields == [(400, ["bank_link"])] * 4
    assert "Verify this bank account first" in str(answers[1].json())
    _nothing_moved(alice, None)


def test_krw_withdrawal_counts_chain_withdrawals_and_refuses_past_the_cap(
    settings, market, bob, fund
):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    # Given a level-1 customer (1,000,000 KRW a day) with a last price of 3,000,000 KRW/ETH,
    # who withdrew 0.3 ETH (900,000 KRW) on chain
    carol = kyc_user(level=1, email="carol@example.kr")
    fund(carol, market, krw=2_000_000, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(user=carol, market=market, side="sell", price=3_000_000, quantity=10**7)
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=10**7)
    services.withdrawal_address_add(user=carol, address=TARGET)
    services.withdrawal_request(user=carol, asset="ETH", address=TARGET, amount=3 * ETH // 10)
    link = verified_link(carol)
    before = selectors.balances_for(user=carol)["KRW"]

    # When she asks for 1,500,000 KRW, then for 100,001 KRW, to her own account
    for amount in (1_500_000, 100_001):
        with pytest.raises(ValidationError) as refused:
            services.krw_withdraw(user=carol, bank_link=link, amount=amount)
        # Then each is refused for the limit, with nothing held or sent
        assert refused.value.message_dict == {"amount": ["This would pass your withdrawal limit."]}
    _nothing_moved(carol, before)
    # And 100,000 KRW (exactly the cap) goes out
    paid = services.krw_withdraw(user=carol, bank_link=link, amount=100_000)
    assert paid.status == BankTransfer.Status.COMPLETED
    # And a 0.01 ETH withdrawal is now refused: the KRW counted
    with pytest.raises(ValidationError):
        services.withdrawal_request(user=carol, asset="ETH", address=TARGET, amount=ETH // 100)
    assert ChainWithdrawal.objects.filter(owner=carol).count() == 1


def test_newly_verified_link_is_no_withdrawal_destination_until_the_wait(
    settings, market, alice, fund
):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 3600
    fund(alice, market, krw=500_000)
    # Given a link verified a minute ago
    link = verified_link(alice, aged=False)
    before = selectors.balances_for(user=alice)["KRW"]
    # When she withdraws to it, then it is refused naming bank_link, nothing held or sent
    with pytest.raises(ValidationError) as refused:
        services.krw_withdraw(user=alice, bank_link=link, amount=10_000)
    assert list(refused.value.message_dict) == ["bank_link"]
    _nothing_moved(alice, before)
    # But she may deposit from it at once
    assert services.krw_deposit(user=alice, bank_link=link, amount=10_000).status == "completed"
    # And once the wait has passed, she may withdraw to it
    BankLink.objects.filter(pk=link.pk).update(verified_at=timezone.now() - timedelta(hours=2))
    assert services.krw_withdraw(user=alice, bank_link=link, amount=10_000).status == "completed"


def test_removed_link_is_refused(market, alice, fund):
    fund(alice, market, krw=500_000)
    link = verified_link(alice)
    links.bank_link_remove(user=alice, link=link)
    before = selectors.balances_for(user=alice)["KRW"]
    with pytest.raises(ValidationError) as refused:
        services.krw_withdraw(user=alice, bank_link=link, amount=10_000)
    assert list(refused.value.message_dict) == ["bank_link"]
    _nothing_moved(alice, before)


def test_large_krw_withdrawal_waits_for_another_persons_approval(
    settings, market, alice, bob, fund
):
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 1_000_000
    fund(alice, market, krw=5_000_000)
    link = verified_link(alice)
    # When Alice withdraws 1,000,000 KRW (the threshold)
    transfer = services.krw_withdraw(user=alice, bank_link=link, amount=1_000_000)
    # Then it is held, awaiting approval, and the bank has not been asked
    assert transfer.status == BankTransfer.Status.AWAITING_APPROVAL
    assert selectors.balances_for(user=alice)["KRW"]["held"] == 1_000_000
    assert not SandboxTransfer.objects.filter(direction="out", amount=1_000_000).exists()
    # And she cannot approve it herself (nothing changes)
    with pytest.raises(ValidationError) as own:
        services.krw_withdrawal_approve(staff=alice, transfer=transfer)
    assert list(own.value.message_dict) == ["approved_by"]
    transfer.refresh_from_db()
    assert (transfer.status, transfer.approved_by) == ("approval", None)
    # When Bob (staff) approves, then it is paid once
    paid = services.krw_withdrawal_approve(staff=bob, transfer=transfer)
    assert (paid.status, paid.approved_by) == (BankTransfer.Status.COMPLETED, bob)
    assert SandboxTransfer.objects.filter(direction="out", amount=1_000_000).count() == 1
    # A second one, rejected, goes back to her available balance
    second = services.krw_withdraw(user=alice, bank_link=link, amount=2_000_000)
    rejected = services.krw_withdrawal_reject(staff=bob, transfer=second)
    assert rejected.status == BankTransfer.Status.REJECTED
    assert selectors.balances_for(user=alice)["KRW"] == {
        "available": 4_000_000,
        "held": 0,
        "frozen": False,
    }
    with pytest.raises(ValidationError):
        services.krw_withdrawal_approve(staff=bob, transfer=rejected)
    assert selectors.ledger_matches_balances()


def test_admin_approves_a_krw_withdrawal(settings, client, market, alice, fund):
    from exchange.tests.factories import StaffFactory

    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 1_000_000
    fund(alice, market, krw=5_000_000)
    transfer = services.krw_withdraw(user=alice, bank_link=verified_link(alice), amount=2_000_000)
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/exchange/banktransfer/",
        {"action": "approve", "_selected_action": [transfer.pk]},
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.approved_by) == ("completed", staff)


BIG = 9223372036854775807
LOT = 10**6  # ETH-KRW: tick 1,000 KRW, lot 0.001 ETH


@pytest.mark.parametrize(
    ("path", "body", "field", "above"),
    [
        # Each body is valid but for its one amount, just above the maximum (or absurd)
        (
            "/orders/",
            {"market": "ETH-KRW", "side": "buy", "price": 0, "quantity": LOT},
            "price",
            MAX_AMOUNT + 1000,
        ),
        (
            "/orders/",
            {"market": "ETH-KRW", "side": "sell", "price": 1000, "quantity": 0},
            "quantity",
            MAX_AMOUNT + LOT,
        ),
        (
            "/orders/",
            {"market": "ETH-KRW", "side": "buy", "type": "market", "time_in_force": "IOC"},
            "quote_amount",
            MAX_AMOUNT + 1,
        ),
        ("/withdrawals/", {"asset": "ETH", "address": TARGET}, "amount", MAX_AMOUNT + 1),
        ("/krw/deposits/", {}, "amount", MAX_AMOUNT + 1),
        ("/krw/withdrawals/", {}, "amount", MAX_AMOUNT + 1),
    ],
)
def test_absurd_amounts_are_400_naming_the_field(market, alice, fund, path, body, field, above):
    fund(alice, market, krw=BIG // 4, eth=BIG // 4)
    client = _client(alice)
    link = verified_link(alice)
    balances = selectors.balances_for(user=alice)
    for value in (BIG, above):
        response = client.post(
            f"{API}{path}", {**body, field: value, "bank_link": str(link.public_id)}, format="json"
        )
        assert response.status_code == 400, response.content
        assert field in response.json(), response.content
    assert not Order.objects.exists() and not ChainWithdrawal.objects.exists()
    assert not BankTransfer.objects.exists()
    assert selectors.balances_for(user=alice) == balances


def test_schema_documents_the_maximum_of_every_money_amount(db):
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name, fields in (
        ("OrderIn", ["price", "quantity", "quote_amount"]),
        ("WithdrawalIn", ["amount"]),
        ("BankIn", ["amount"]),
    ):
        for field in fields:
            assert schemas[name]["properties"][field]["maximum"] == MAX_AMOUNT, (name, field)
