"""A deposit that a reorganisation moves to another block is credited once, in its new block."""

from web3 import Web3

from exchange import conf, selectors, services
from exchange.models import ChainDeposit
from exchange.services.wallets import derive
from exchange.tests import chainkit

GWEI = 10**9


def test_deposit_moved_by_a_reorg_is_credited_once(settings, own_chain, market, alice):
    settings.EXCHANGE_CONFIRMATIONS = 3
    w3 = chainkit.client(own_chain)
    sender = derive(conf.ANVIL_MNEMONIC, "m/44'/60'/0'/0/8")
    address = services.deposit_address_assign(user=alice).address
    # Given a signed 0.01 ETH transfer to Alice's deposit address, seen in one block
    signed = sender.sign_transaction(
        {
            "chainId": w3.eth.chain_id,
            "nonce": w3.eth.get_transaction_count(sender.address),
            "to": address,
            "value": 10**7 * GWEI,
            "gas": 21_000,
            "maxFeePerGas": 10 * GWEI,
            "maxPriorityFeePerGas": GWEI,
            "type": 2,
        }
    )
    snapshot = own_chain.call("evm_snapshot")
    w3.eth.send_raw_transaction(signed.raw_transaction)
    # anvil mines an automined transaction just after answering: wait for it
    w3.eth.wait_for_transaction_receipt(signed.hash, timeout=10, poll_latency=0.05)
    services.deposits_scan()
    seen = ChainDeposit.objects.get()
    first_block = (seen.block_number, seen.block_hash)
    # When the chain reorganises and the same transfer lands two blocks later
    own_chain.call("evm_revert", snapshot)
    chainkit.mine(own_chain, 2)
    w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(signed.hash, timeout=10, poll_latency=0.05)
    assert receipt["blockNumber"] == first_block[0] + 2
    # Then the scanner follows it to its new block and credits it once, however often it runs
    chainkit.mine(own_chain, 3)
    assert services.deposits_scan()["credited"] == 1
    assert services.deposits_scan()["credited"] == 0
    chainkit.mine(own_chain, 1)
    assert services.deposits_scan() == {
        "head": w3.eth.block_number,
        "seen": 0,
        "credited": 0,
    }
    deposit = ChainDeposit.objects.get()
    assert deposit.status == ChainDeposit.Status.CREDITED
    assert (deposit.block_number, deposit.block_hash) == (
        receipt["blockNumber"],
        Web3.to_hex(receipt["blockHash"]),
    )
    assert deposit.tx_hash == Web3.to_hex(signed.hash)
    assert selectors.balances_for(user=alice)["ETH"]["available"] == 10**7
    assert selectors.ledger_matches_balances()
