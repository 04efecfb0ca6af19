"""What the exchange holds on chain, for proof of reserves: every address whose holdings are
the exchange's, and their balances read at one block."""

from web3 import Web3

from exchange import conf
from exchange.models import Asset, DepositAddress

from .node import token_abi, w3
from .wallets import hot_wallet


def exchange_addresses() -> list[str]:
    """Every address whose holdings are the exchange's: the hot wallet, the cold wallet when
    one is configured, and every deposit address (deposits wait there until swept)."""
    addresses = [hot_wallet().address]
    cold = conf.get("EXCHANGE_COLD_WALLET_ADDRESS")
    if cold and Web3.is_address(cold):
        addresses.append(Web3.to_checksum_address(cold))
    addresses += DepositAddress.objects.order_by("index").values_list("address", flat=True)
    return list(dict.fromkeys(addresses))


# Balance reads per JSON-RPC batch request (one HTTP round trip each).
RESERVES_BATCH = 500


def reserves_on_chain() -> dict[str, int]:
    """What the exchange holds on chain (hot + cold wallet + deposit addresses), in ledger units.

    Every balance is read at one block: a sweep moves custody between two of these addresses,
    so reading them at different blocks could count a swept amount twice or not at all. The
    reads go as JSON-RPC batches of RESERVES_BATCH calls, not one request per address."""
    client = w3()
    block = client.eth.block_number
    addresses = exchange_addresses()
    out = {}
    for asset in Asset.objects.exclude(kind=Asset.Kind.FIAT):
        if asset.kind == Asset.Kind.NATIVE:

            def read(address):
                return client.eth.get_balance(address, block_identifier=block)

        else:
            token = client.eth.contract(
                address=Web3.to_checksum_address(asset.contract_address), abi=token_abi()
            )

            def read(address, token=token):
                return token.functions.balanceOf(address).call(block_identifier=block)

        total = 0
        for start in range(0, len(addresses), RESERVES_BATCH):
            with client.batch_requests() as batch:
                for address in addresses[start : start + RESERVES_BATCH]:
                    batch.add(read(address))
                total += sum(batch.execute())
        out[asset.symbol] = total // asset.chain_factor
    return out
