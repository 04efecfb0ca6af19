"""Test helpers on a real anvil: fund addresses from an unlocked dev account, deploy a token."""

import json
from pathlib import Path

from web3 import Web3

FUNDER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"  # anvil dev account 9 (unlocked)
ARTIFACT = Path(__file__).resolve().parent.parent / "contracts" / "TestToken.json"


def client(node) -> Web3:
    return Web3(Web3.HTTPProvider(node.url))


def send_ether(node, to: str, wei: int) -> str:
    tx = client(node).eth.send_transaction({"from": FUNDER, "to": to, "value": wei})
    return "0x" + bytes(tx).hex()


def deploy_token(node, *, symbol="BUSD", decimals=6, supply=10**15) -> str:
    w3 = client(node)
    artifact = json.loads(ARTIFACT.read_text())
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(f"Test {symbol}", symbol, decimals, supply).transact({"from": FUNDER})
    return w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]


def send_token(node, token: str, to: str, amount: int) -> str:
    w3 = client(node)
    contract = w3.eth.contract(address=token, abi=json.loads(ARTIFACT.read_text())["abi"])
    tx = contract.functions.transfer(to, amount).transact({"from": FUNDER})
    return "0x" + bytes(tx).hex()


def token_balance(node, token: str, owner: str) -> int:
    w3 = client(node)
    contract = w3.eth.contract(address=token, abi=json.loads(ARTIFACT.read_text())["abi"])
    return contract.functions.balanceOf(owner).call()


def mine(node, blocks: int) -> None:
    node.call("anvil_mine", hex(blocks))


def token_balance_set(node, token: str, owner: str, amount: int) -> None:
    """Writes `owner`'s balance straight into the token's storage (OpenZeppelin's ERC20 keeps
    `_balances` at slot 0): tokens that leave without a transfer, for a transfer that must
    revert."""
    slot = Web3.solidity_keccak(["uint256", "uint256"], [int(owner, 16), 0])
    node.call("anvil_setStorageAt", token, "0x" + slot.hex().removeprefix("0x"), f"0x{amount:064x}")


def automine(node, on: bool) -> None:
    node.call("evm_setAutomine", on)
