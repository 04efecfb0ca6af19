"""The connection to the chain: a web3 client for CHAIN_RPC_URL, the signer and the contract."""

import functools
import json
from pathlib import Path

import requests
from django.conf import settings
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ProviderConnectionError, TimeExhausted

ARTIFACT = Path(__file__).resolve().parent / "contracts" / "BusanAnchor.json"

# Errors after which a task retries later: the node or the network, never our data.
TRANSIENT_ERRORS = (requests.RequestException, ProviderConnectionError, TimeExhausted, OSError)


class ChainError(Exception):
    """The chain refused or could not do what was asked (not a transient network error)."""


class NotDeployed(ChainError):
    """No active BusanAnchor deployment: run `manage.py chain_deploy`."""


@functools.cache
def artifact() -> dict:
    return json.loads(ARTIFACT.read_text())


@functools.cache
def _client(url: str, timeout: float) -> Web3:
    provider = Web3.HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
    )
    return Web3(provider)


def web3(*, timeout: float | None = None) -> Web3:
    return _client(settings.CHAIN_RPC_URL, float(timeout or settings.CHAIN_RPC_TIMEOUT_S))


def signer() -> LocalAccount:
    if not settings.CHAIN_PRIVATE_KEY:
        raise ChainError("CHAIN_PRIVATE_KEY is not set")
    return Account.from_key(settings.CHAIN_PRIVATE_KEY)


def contract(w3: Web3, address: str):
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact()["abi"])


def to_hex(value) -> str:
    """0x-prefixed lower-case hex of bytes/HexBytes."""
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text
