"""The exchange's keys: HD derivation from the exchange mnemonic, of the deposit addresses
(one per customer, by index) and of the hot wallet."""

import functools

from eth_account import Account as EthAccount

from exchange import conf

DEPOSIT_PATH = "m/44'/60'/1'/0/{index}"  # another branch than anvil's dev accounts (m/44'/60'/0')
HOT_WALLET_PATH = "m/44'/60'/2'/0/0"


@functools.lru_cache(maxsize=4096)
def derive(mnemonic: str, path: str):
    EthAccount.enable_unaudited_hdwallet_features()
    return EthAccount.from_mnemonic(mnemonic, account_path=path)


def hot_wallet():
    return derive(conf.mnemonic(), HOT_WALLET_PATH)
