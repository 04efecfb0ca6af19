"""Deposits and withdrawals against a real anvil, with an ERC-20 token the tests deploy."""

import pytest
from django.core.exceptions import ValidationError

from exchange import selectors, services
from exchange.models import Asset, ChainDeposit, ChainWithdrawal
from exchange.services.wallets import hot_wallet
from exchange.tests import chainkit
from exchange.tests.factories import ETH, UserFactory, kyc_user

GWEI = 10**9


@pytest.fixture
def chain_settings(settings, chain):
    settings.EXCHANGE_CONFIRMATIONS = 3
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 10_000_000
    return chain


def _token_on(node) -> Asset:
    """BUSD: a test ERC-20 deployed on `node`, listed as an asset."""
    return Asset.objects.create(
        symbol="BUSD",
        name="Test BUSD",
        kind=Asset.Kind.ERC20,
        decimals=6,
        chain_decimals=6,
        contract_address=chainkit.deploy_token(node),
    )


@pytest.fixture
def token(chain_settings):
    return _token_on(chain_settings)


def test_native_deposit_is_credited_once_after_confirmations(chain_settings, market, alice):
    # Given Alice's deposit address and 0.5 ETH sent to it
    address = services.deposit_address_assign(user=alice)
    assert services.deposit_address_assign(user=alice) == address
    chainkit.send_ether(chain_settings, address.address, ETH // 2 * GWEI)
    # When the scanner runs before enough confirmations
    assert services.deposits_scan()["credited"] == 0
    deposit = ChainDeposit.objects.get()
    assert deposit.status == ChainDeposit.Status.SEEN
    assert selectors.balances_for(user=alice) == {}
    # Then after 2 more blocks (3 confirmations) it is credited, in gwei
    chainkit.mine(chain_settings, 2)
    assert services.deposits_scan()["credited"] == 1
    assert selectors.balances_for(user=alice)["ETH"]["available"] == ETH // 2
    # And scanning again credits nothing more
    chainkit.mine(chain_settings, 1)
    assert services.deposits_scan() == {
        "head": chainkit.client(chain_settings).eth.block_number,
        "seen": 0,
        "credited": 0,
    }
    assert selectors.balances_for(user=alice)["ETH"]["available"] == ETH // 2
    assert ChainDeposit.objects.get().status == ChainDeposit.Status.CREDITED
    assert selectors.ledger_matches_balances()


def test_erc20_deposit(token, market, alice, chain_settings):
    address = services.deposit_address_assign(user=alice)
    chainkit.send_token(chain_settings, token.contract_address, address.address, 1_500_000)
    chainkit.mine(chain_settings, 3)
    assert services.deposits_scan()["credited"] == 1
    deposit = ChainDeposit.objects.get()
    assert (deposit.asset, deposit.log_index >= 0) == (token, True)
    assert selectors.balances_for(user=alice)["BUSD"]["available"] == 1_500_000


def test_deposit_address_needs_kyc(chain_settings):
    user = UserFactory()
    with pytest.raises(ValidationError) as error:
        services.deposit_address_assign(user=user)
    assert "kyc" in error.value.message_dict


def test_reorganised_deposit_is_never_credited(settings, own_chain, market, alice):
    settings.EXCHANGE_CONFIRMATIONS = 3
    address = services.deposit_address_assign(user=alice)
    # Given a deposit seen in a block that a reorganisation then drops
    snapshot = own_chain.call("evm_snapshot")
    chainkit.send_ether(own_chain, address.address, GWEI * 10**6)
    services.deposits_scan()
    assert ChainDeposit.objects.get().status == ChainDeposit.Status.SEEN
    own_chain.call("evm_revert", snapshot)
    chainkit.mine(own_chain, 5)
    # When the scanner runs again
    services.deposits_scan()
    # Then the deposit is orphaned and nothing is credited
    assert ChainDeposit.objects.get().status == ChainDeposit.Status.ORPHANED
    assert selectors.balances_for(user=alice) == {}


def _fund_hot_wallet(node, wei=10**18):
    chainkit.send_ether(node, hot_wallet().address, wei)


def test_withdrawal_goes_out_and_is_confirmed(chain_settings, market, alice, bob, fund):
    # Given Alice with 1 ETH on the exchange and an allow-listed address
    fund(alice, market, eth=ETH)
    _fund_hot_wallet(chain_settings)
    target = "0x000000000000000000000000000000000000dEaD"
    before = chainkit.client(chain_settings).eth.get_balance(target)
    services.withdrawal_address_add(user=alice, address=target)
    # When she withdraws 0.1 ETH (no trades yet: no KRW price, so staff approve it)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=target, amount=ETH // 10
    )
    assert withdrawal.status == ChainWithdrawal.Status.AWAITING_APPROVAL
    withdrawal = services.withdrawal_approve(staff=bob, withdrawal=withdrawal)
    assert withdrawal.status == ChainWithdrawal.Status.APPROVED
    assert selectors.balances_for(user=alice)["ETH"] == {
        "available": ETH - ETH // 10,
        "held": ETH // 10,
        "frozen": False,
    }
    services.withdrawal_send(withdrawal_pk=withdrawal.pk)
    services.withdrawal_send(withdrawal_pk=withdrawal.pk)  # a retry re-broadcasts, never pays twice
    chainkit.mine(chain_settings, 3)
    # Then it is confirmed, paid once on chain, and the hold leaves the ledger
    assert services.withdrawals_confirm() == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == ChainWithdrawal.Status.CONFIRMED
    assert chainkit.client(chain_settings).eth.get_balance(target) - before == ETH // 10 * GWEI
    assert selectors.balances_for(user=alice)["ETH"] == {
        "available": ETH - ETH // 10,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()


def _token_withdrawal(token, alice, bob, target, amount=2_000_000):
    services.deposit_credit(
        owner_id=alice.pk, asset=token, amount=5_000_000, kind="test", reference="t"
    )
    services.withdrawal_address_add(user=alice, address=target)
    withdrawal = services.withdrawal_request(
        user=alice, asset="BUSD", address=target, amount=amount
    )
    return services.withdrawal_approve(staff=bob, withdrawal=withdrawal)


def _hot_nonce_row():
    from busanhub.chain.models import ChainSigner

    address = hot_wallet().address
    return (
        ChainSigner.objects.filter(address=address).values_list("next_nonce", "in_flight").first()
    )


def test_token_withdrawal_waits_until_the_hot_wallet_holds_the_tokens(
    token, market, alice, bob, chain_settings
):
    # Given an approved withdrawal of 2 BUSD and a hot wallet with gas but no BUSD on chain
    _fund_hot_wallet(chain_settings)
    target = "0x000000000000000000000000000000000000bEEF"
    withdrawal = _token_withdrawal(token, alice, bob, target)
    nonce_before = _hot_nonce_row()
    # When the sender runs, Then nothing is signed or sent and no nonce is used up
    services.withdrawal_send(withdrawal_pk=withdrawal.pk)
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.tx_hash) == (ChainWithdrawal.Status.APPROVED, "")
    assert _hot_nonce_row() == nonce_before
    # When the hot wallet receives the tokens, Then the withdrawal goes out and is confirmed
    hot = hot_wallet().address
    chainkit.send_token(chain_settings, token.contract_address, hot, 2_000_000)
    services.withdrawal_send(withdrawal_pk=withdrawal.pk)
    chainkit.mine(chain_settings, 3)
    assert services.withdrawals_confirm() == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == ChainWithdrawal.Status.CONFIRMED
    assert chainkit.token_balance(chain_settings, token.contract_address, target) == 2_000_000
    assert selectors.balances_for(user=alice)["BUSD"] == {
        "available": 3_000_000,
        "held": 0,
        "frozen": False,
    }


def test_a_second_withdrawal_counts_what_the_first_is_sending(
    token, market, alice, bob, chain_settings
):
    # Given a hot wallet with 3 BUSD and a sent, unconfirmed withdrawal of 2 BUSD
    _fund_hot_wallet(chain_settings)
    hot = hot_wallet().address
    chainkit.send_token(chain_settings, token.contract_address, hot, 3_000_000)
    first = _token_withdrawal(token, alice, bob, "0x000000000000000000000000000000000000bEEF")
    assert services.withdrawal_send(withdrawal_pk=first.pk).status == "sent"
    # When a second one of 2 BUSD is approved, Then it waits (3 - 2 < 2) rather than revert
    carol = kyc_user(email="carol@example.kr")
    second = _token_withdrawal(token, carol, bob, "0x000000000000000000000000000000000000cafE")
    assert services.withdrawal_send(withdrawal_pk=second.pk).status == "approved"


def test_a_reverted_token_transfer_is_refunded(settings, own_chain, market, alice, bob):
    settings.EXCHANGE_CONFIRMATIONS = 3
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    node = own_chain
    token = _token_on(node)
    # Given a withdrawal of 2 BUSD sent while the hot wallet held them, not yet mined
    _fund_hot_wallet(node)
    hot = hot_wallet().address
    receipt = chainkit.client(node).eth.wait_for_transaction_receipt(
        chainkit.send_token(node, token.contract_address, hot, 2_000_000)
    )
    assert receipt["status"] == 1
    withdrawal = _token_withdrawal(token, alice, bob, "0x000000000000000000000000000000000000bEEF")
    chainkit.automine(node, False)
    try:
        assert services.withdrawal_send(withdrawal_pk=withdrawal.pk).status == "sent"
        # When the tokens leave the hot wallet before the block, so the transfer reverts
        chainkit.token_balance_set(node, token.contract_address, hot, 0)
        chainkit.mine(node, 4)
    finally:
        chainkit.automine(node, True)
    assert services.withdrawals_confirm() == 1
    # Then the withdrawal failed and the amount is back
    withdrawal.refresh_from_db()
    assert withdrawal.status == ChainWithdrawal.Status.FAILED
    assert selectors.balances_for(user=alice)["BUSD"] == {
        "available": 5_000_000,
        "held": 0,
        "frozen": False,
    }
    assert selectors.ledger_matches_balances()


def test_large_withdrawal_waits_for_staff_approval(settings, market, alice, bob, fund):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    settings.EXCHANGE_APPROVAL_THRESHOLD_KRW = 1_000_000
    # Given a last price of 3,000,000 KRW per ETH
    fund(alice, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=alice, market=market, side="sell", price=3_000_000, quantity=ETH // 100
    )
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=ETH // 100)
    target = "0x000000000000000000000000000000000000dEaD"
    services.withdrawal_address_add(user=alice, address=target)
    # When Alice withdraws 0.5 ETH (1,500,000 KRW)
    withdrawal = services.withdrawal_request(
        user=alice, asset="ETH", address=target, amount=ETH // 2
    )
    assert withdrawal.status == ChainWithdrawal.Status.AWAITING_APPROVAL
    # Then she cannot approve it herself; staff can reject it and the amount comes back
    with pytest.raises(ValidationError):
        services.withdrawal_approve(staff=alice, withdrawal=withdrawal)
    services.withdrawal_reject(staff=bob, withdrawal=withdrawal)
    withdrawal.refresh_from_db()
    assert withdrawal.status == ChainWithdrawal.Status.REJECTED
    assert selectors.balances_for(user=alice)["ETH"]["held"] == 0


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("0x1234", "This is not an Ethereum address."),
        (
            "0x000000000000000000000000000000000000cafe",
            "Add this address to your allow-list first.",
        ),
    ],
)
def test_bad_withdrawals_hold_nothing(settings, market, alice, fund, address, message):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    fund(alice, market, eth=ETH)
    with pytest.raises(ValidationError) as error:
        services.withdrawal_request(user=alice, asset="ETH", address=address, amount=ETH // 10)
    assert error.value.message_dict == {"address": [message]}
    assert selectors.balances_for(user=alice)["ETH"]["held"] == 0
    assert ChainWithdrawal.objects.count() == 0


def test_new_address_waits_before_use(settings, market, alice, fund):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 86_400
    fund(alice, market, eth=ETH)
    target = "0x000000000000000000000000000000000000dEaD"
    services.withdrawal_address_add(user=alice, address=target)
    with pytest.raises(ValidationError) as error:
        services.withdrawal_request(user=alice, asset="ETH", address=target, amount=ETH // 10)
    assert "address" in error.value.message_dict
    assert ChainWithdrawal.objects.count() == 0


def test_withdrawal_over_the_kyc_limit(settings, market, bob, fund):
    settings.EXCHANGE_ALLOWLIST_WAIT_S = 0
    user = kyc_user(level=1)  # 1,000,000 KRW a day
    fund(user, market, eth=ETH)
    fund(bob, market, krw=1_000_000)
    services.order_place(
        user=user, market=market, side="sell", price=3_000_000, quantity=ETH // 100
    )
    services.order_place(user=bob, market=market, side="buy", price=3_000_000, quantity=ETH // 100)
    target = "0x000000000000000000000000000000000000dEaD"
    services.withdrawal_address_add(user=user, address=target)
    with pytest.raises(ValidationError) as error:
        services.withdrawal_request(user=user, asset="ETH", address=target, amount=ETH // 2)
    assert error.value.message_dict == {"amount": ["This would pass your withdrawal limit."]}
    assert selectors.balances_for(user=user)["ETH"]["held"] == 0
