"""What the exchange's own transactions pay: the gas limit of a token transfer and the EIP-1559
fees of a new transaction or of a replacement (fee bump), within EXCHANGE_MAX_FEE_PER_GAS_WEI."""

from decimal import Decimal

from busanhub.chain import evm
from exchange import conf

TOKEN_TRANSFER_GAS = 100_000
# Every replacement pays at least 12.5 % more on both fees (beyond geth's 10 % rule).
MIN_BUMP_PERCENT = Decimal("12.5")
# The tip of every hot-wallet transaction (capped by EXCHANGE_MAX_FEE_PER_GAS_WEI).
PRIORITY_FEE_WEI = 10**9


def fees_current(client) -> tuple[int, int]:
    """(maxFeePerGas, maxPriorityFeePerGas) for a new transaction: twice the base fee plus the
    tip, so it stays valid while the base fee doubles; never above the configured cap."""
    fees = evm.fees_current(
        client, priority=PRIORITY_FEE_WEI, cap=int(conf.get("EXCHANGE_MAX_FEE_PER_GAS_WEI"))
    )
    return fees.max_fee_per_gas, fees.max_priority_fee_per_gas


def fees_bumped(client, *, max_fee: int, priority: int) -> tuple[int, int] | None:
    """Fees for a replacement: both raised by EXCHANGE_FEE_BUMP_PERCENT (at least 12.5 %) and
    the max fee at least what a new transaction would pay now; None when the cap forbids it."""
    cap = int(conf.get("EXCHANGE_MAX_FEE_PER_GAS_WEI"))
    fees = evm.fees_bumped(
        evm.Fees(max_fee, priority),
        percent=max(Decimal(int(conf.get("EXCHANGE_FEE_BUMP_PERCENT"))), MIN_BUMP_PERCENT),
        current=evm.fees_current(client, priority=PRIORITY_FEE_WEI, cap=cap),
        cap=cap,
        floor_percent=MIN_BUMP_PERCENT,
    )
    return None if fees is None else (fees.max_fee_per_gas, fees.max_priority_fee_per_gas)
