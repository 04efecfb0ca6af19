"""Every write of the exchange. Other apps may call these; nothing else of the exchange."""

from .bank import (
    bank_transfer_settle,
    deposit_credit,
    krw_deposit,
    krw_withdraw,
    krw_withdrawal_approve,
    krw_withdrawal_reject,
)
from .deposits import deposit_address_assign, deposits_scan
from .kyc import kyc_level
from .liabilities import liabilities_snapshot, liability_proof
from .matching import markets_match
from .orders import (
    account_set_frozen,
    market_set_status,
    order_cancel,
    order_place,
    orders_cancel_all,
)
from .reserves import reserves_on_chain
from .sweeps import deposits_sweep
from .volume import volume_prune
from .withdrawal_sending import withdrawal_send, withdrawals_confirm, withdrawals_replace_stuck
from .withdrawals import (
    withdrawal_address_add,
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
)

__all__ = [
    "account_set_frozen",
    "bank_transfer_settle",
    "deposit_address_assign",
    "deposit_credit",
    "deposits_scan",
    "deposits_sweep",
    "krw_deposit",
    "krw_withdraw",
    "krw_withdrawal_approve",
    "krw_withdrawal_reject",
    "kyc_level",
    "liabilities_snapshot",
    "liability_proof",
    "market_set_status",
    "markets_match",
    "order_cancel",
    "order_place",
    "orders_cancel_all",
    "reserves_on_chain",
    "volume_prune",
    "withdrawal_address_add",
    "withdrawal_approve",
    "withdrawal_reject",
    "withdrawal_request",
    "withdrawal_send",
    "withdrawals_confirm",
    "withdrawals_replace_stuck",
]
