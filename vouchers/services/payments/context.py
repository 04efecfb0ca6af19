"""The payment's context: the locking read's rows as the objects the plan and the write use
(loaded, not fetched again): the merchant, the payer's wallet, its locked accounts, the grant
accounts eligible at the merchant in the order they are spent."""

import json
from datetime import datetime
from typing import NamedTuple

from vouchers.models import Account, Merchant, Wallet

from ..core import loaded
from .read import PaymentLockRow


class PaymentContext(NamedTuple):
    merchant: Merchant
    wallet: Wallet
    locked: dict[int, Account]  # every account the payment may post to, by pk
    cash: Account
    cashback_account: Account
    grant_pks: list[int]  # eligible grant accounts, the soonest to expire first
    merchant_account: Account


def _account(pk, kind, balance, public_id) -> Account:
    return loaded(Account, id=pk, kind=kind, balance=balance, public_id=public_id)


def payment_context(
    rows: list[PaymentLockRow], *, payer, code: str, now: datetime
) -> PaymentContext:
    first = rows[0]
    merchant = loaded(
        Merchant,
        id=first.merchant_id,
        code=code,
        name=first.merchant_name,
        status=first.merchant_status,
        is_frozen=False,
        tier=first.merchant_tier,
        category=first.merchant_category,
        owner_id=first.merchant_owner_id,
    )
    wallet = loaded(
        Wallet,
        id=first.wallet_id,
        user_id=payer.pk,
        is_frozen=False,
        frozen_reason=first.wallet_frozen_reason,
    )
    locked: dict[int, Account] = {}
    grants = []
    cash = cashback_account = None
    for row in rows:
        account = _account(
            row.account_id, row.account_kind, row.account_balance, row.account_public_id
        )
        locked[account.pk] = account
        if account.kind == Account.Kind.CASH:
            cash = account
        elif account.kind == Account.Kind.CASHBACK:
            cashback_account = account
            account.cashback_month = row.cashback_month
            account.cashback_month_earned = row.cashback_month_earned
        else:
            valid_until, eligible = row.programme_valid_until, row.programme_eligible_categories
            if isinstance(eligible, str):  # Django leaves JSON decoding to the field
                eligible = json.loads(eligible)
            if valid_until > now and first.merchant_category in eligible:
                grants.append((valid_until, account.pk))
    grant_pks = [pk for _valid_until, pk in sorted(grants)]  # the soonest to expire first
    merchant_account = _account(
        first.merchant_account_id, Account.Kind.MERCHANT, 0, first.merchant_account_public_id
    )
    locked[merchant_account.pk] = merchant_account
    return PaymentContext(
        merchant=merchant,
        wallet=wallet,
        locked=locked,
        cash=cash,
        cashback_account=cashback_account,
        grant_pks=grant_pks,
        merchant_account=merchant_account,
    )
