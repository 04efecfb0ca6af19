"""The exchange's door to the chain node: the web3 client, the token ABI, hex as the node
spells it, and broadcasting a signed transaction. Deposits, withdrawals, sweeps and reserves all
go through it."""

import functools
import json
import logging
from pathlib import Path

from django.conf import settings
from web3 import Web3

from busanhub.chain import evm

TOKEN_ARTIFACT = Path(__file__).resolve().parent.parent / "contracts" / "TestToken.json"

logger = logging.getLogger(__name__)


@functools.cache
def token_abi() -> list:
    return json.loads(TOKEN_ARTIFACT.read_text())["abi"]


def w3() -> Web3:
    return Web3(
        Web3.HTTPProvider(
            settings.CHAIN_RPC_URL, request_kwargs={"timeout": settings.CHAIN_RPC_TIMEOUT_S}
        )
    )


def to_hex(value) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text


def broadcast_signed(client, raw_tx: str) -> bool:
    """Sends a signed transaction; "already known" or "nonce too low" mean it is in the pool
    or mined already (we are the only spender of these nonces), which is what we wanted.
    "Underpriced" means a transaction of this nonce paying more is in the pool: the next fee
    bump takes over. Returns whether the node took it now."""
    outcome = evm.tx_broadcast(client, raw_tx)
    if outcome != evm.Broadcast.SENT:
        logger.info("broadcast not taken: %s", outcome)
    return outcome == evm.Broadcast.SENT
