"""What a wallet holds, all its accounts together: the holding cap's measure."""

from django.db.models import Sum

from vouchers.models import Wallet


def wallet_holdings(wallet: Wallet) -> int:
    return wallet.accounts.aggregate(total=Sum("balance"))["total"] or 0
