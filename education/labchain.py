"""The lab chain: a web3 client, the faucet account and the lab's BusanAnchor contract.

Settings (read when used, never at import): EDUCATION_LAB_RPC_URL (default CHAIN_RPC_URL),
EDUCATION_FAUCET_PRIVATE_KEY (or the environment variable of that name; on anvil, chain 31337,
anvil's test account #2 when unset), EDUCATION_LAB_CHAIN_IDS (chains the lab may touch; default
[31337], so the lab never spends real funds).
"""

import os

from django.conf import settings
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from busanhub.chain import evm, node

ANVIL_CHAIN_ID = 31337
# anvil's well-known test account #2: worthless outside a local anvil.
ANVIL_FAUCET_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
RECEIPT_TIMEOUT_S = 30


class LabChainError(Exception):
    """The lab chain is not usable (wrong chain, no faucet key, node refused)."""


def rpc_url() -> str:
    return getattr(settings, "EDUCATION_LAB_RPC_URL", "") or settings.CHAIN_RPC_URL


def web3() -> Web3:
    return Web3(Web3.HTTPProvider(rpc_url(), request_kwargs={"timeout": 10}))


def allowed_chain_ids() -> list[int]:
    return list(getattr(settings, "EDUCATION_LAB_CHAIN_IDS", [ANVIL_CHAIN_ID]))


def checked_web3() -> Web3:
    w3 = web3()
    try:
        chain_id = w3.eth.chain_id
    except OSError as exc:  # requests' connection errors and timeouts: the node is down
        raise LabChainError(f"the lab chain does not answer: {exc}") from exc
    if chain_id not in allowed_chain_ids():
        raise LabChainError(f"chain {chain_id} is not a lab chain (EDUCATION_LAB_CHAIN_IDS)")
    return w3


def faucet_account(chain_id: int) -> LocalAccount:
    key = getattr(settings, "EDUCATION_FAUCET_PRIVATE_KEY", "") or os.environ.get(
        "EDUCATION_FAUCET_PRIVATE_KEY", ""
    )
    if not key and chain_id == ANVIL_CHAIN_ID:
        key = ANVIL_FAUCET_KEY
    if not key:
        raise LabChainError("EDUCATION_FAUCET_PRIVATE_KEY is not set")
    return Account.from_key(key)


def contract(w3: Web3, address: str):
    return node.contract(w3, address)


def send(w3: Web3, account: LocalAccount, tx: dict) -> dict:
    """Signs and sends a transaction from `account` through busanhub.chain.evm (its nonces are
    serialised with every other sender of that account), waits for it; returns the receipt."""
    if "maxFeePerGas" in tx:
        fees = evm.Fees(int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"]))
    else:
        fees = evm.fees_current(w3, priority=1)  # test ether: the smallest tip will do
    try:
        return evm.send_and_wait(
            w3,
            account=account,
            tx={**tx, "from": account.address},
            fees=fees,
            timeout=RECEIPT_TIMEOUT_S,
        )
    except node.ChainError as exc:
        raise LabChainError(str(exc)) from exc
