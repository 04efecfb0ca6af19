"""The withdrawal gate: a priced amount under the threshold goes straight out; an asset without
a KRW price cannot be judged by the caps, so staff approve it whatever its size."""

from exchange import selectors, services
from exchange.models import Asset, ChainWithdrawal
from exchange.tests.factories import ETH

TARGET = "0x000000000000000000000000000000000000dEaD"


def test_small_priced_withdrawal_is_approved_at_once(settings, market, alice, bob, fund):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 1_000_000
    # Given a last price of 3,000,000 KRW per ETH
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="sell", price=3_000_000, quantity=ETH // 100
    )
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=ETH // 100)
    services.withdrawal_address_add(user=alice, address=TARGET)
    # When Alice withdraws 0.1 ETH (300,000 KRW, under the threshold)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=TARGET, amount=ETH // 10
    )
    # Then it needs nobody's approval
    assert withdrawal.status == ChainWithdrawal.Status.APPROVED


def test_unpriced_token_withdrawal_waits_for_staff(settings, market, alice, bob):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    token = Asset.objects.create(
        symbol="BUSD",
        name="Test BUSD",
        kind=Asset.Kind.ERC20,
        decimals=6,
        chain_decimals=6,
        contract_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    )
    services.deposit_credit(
        owner_id=alice.pk, asset=token, amount=5_000_000, kind="test", reference="t"
    )
    services.withdrawal_address_add(user=alice, address=TARGET)
    # When Alice withdraws a token no market prices in KRW, however little
    withdrawal = services.withdrawal_request(user=alice, asset="BUSD", address=TARGET, amount=1)
    # Then it is held and waits for staff, who may approve it
    assert withdrawal.status == ChainWithdrawal.Status.AWAITING_APPROVAL
    assert selectors.balances_for(user=alice)["BUSD"]["held"] == 1
    approved = services.withdrawal_approve(staff=bob, withdrawal=withdrawal)
    assert approved.status == ChainWithdrawal.Status.APPROVED
    assert approved.approved_by == bob
