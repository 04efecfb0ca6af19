"""Every write of Busan Digital Voucher. Other apps may call these; nothing else of vouchers."""

from .banklinks import (
    bank_link_add,
    bank_link_open,
    bank_link_remove,
    bank_link_verification_send,
    bank_link_verify,
)
from .core import (
    journal_post,
    policy_current,
    policy_publish,
    system_account,
    treasury_fund,
    wallet_freeze,
    wallet_open,
    wallet_unfreeze,
    wallets_open,
)
from .gifts import gift_send, gifts_deliver_pending
from .grants import grants_award_csv, grants_reclaim_expired, programme_create
from .merchants import (
    merchant_apply,
    merchant_approve,
    merchant_payable,
    merchant_reject,
    merchant_set_frozen,
    payment_request_create,
)
from .payments import payment_create
from .reconcile import topup_reconcile, topup_reconcile_by_staff, topups_reconcile_pending
from .refunds import refund_create
from .rewards import reward_credit
from .settlement import (
    day_close,
    settlement_create,
    settlement_pay,
    settlement_retry,
    settlements_run,
)
from .topups import topup_create, topup_settle

__all__ = [
    "bank_link_add",
    "bank_link_open",
    "bank_link_remove",
    "bank_link_verification_send",
    "bank_link_verify",
    "day_close",
    "gift_send",
    "gifts_deliver_pending",
    "grants_award_csv",
    "grants_reclaim_expired",
    "journal_post",
    "merchant_apply",
    "merchant_approve",
    "merchant_payable",
    "merchant_reject",
    "merchant_set_frozen",
    "payment_create",
    "payment_request_create",
    "policy_current",
    "policy_publish",
    "programme_create",
    "refund_create",
    "reward_credit",
    "settlement_create",
    "settlement_pay",
    "settlement_retry",
    "settlements_run",
    "system_account",
    "topup_create",
    "topup_reconcile",
    "topup_reconcile_by_staff",
    "topup_settle",
    "topups_reconcile_pending",
    "treasury_fund",
    "wallet_freeze",
    "wallet_open",
    "wallet_unfreeze",
    "wallets_open",
]
