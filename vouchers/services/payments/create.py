"""payment_create: the request's checks, then the whole payment in one call of the PL/pgSQL
function `vouchers_payment_pay` (migrations/0011_payment_pay_function.sql). Each payment is
one balanced journal transaction, anchored, or nothing at all."""

import uuid
from datetime import date, datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from busanhub.db import PreparedStatement, array_literal
from vouchers import ledger, limits
from vouchers.models import JournalTransaction, Merchant, Payment, PaymentRequest, Wallet

from .. import core
from ..core import SQL_DIR, check_amount, loaded, refuse, wallet_open

RESIDENT_CREDENTIAL = "BusanResidentCredential"
# The rules the function uses before any policy is published, in its order.
DEFAULT_POLICY = array_literal(
    [
        ledger.DEFAULT_POLICY[name]
        for name in (
            "reauth_threshold",
            "cashback_small_bp",
            "cashback_medium_bp",
            "cashback_large_bp",
            "monthly_cashback_cap",
        )
    ]
)


class PaymentOutcome(NamedTuple):
    outcome: str  # "paid", or the refusal (see the function)
    detail: str | None
    payment_pk: int | None
    payment_public_id: uuid.UUID | None
    entry_pk: int | None
    entry_public_id: uuid.UUID | None
    entry_digest: str | None
    from_grants: int | None
    from_cashback: int | None
    from_cash: int | None
    cashback: int | None
    merchant_pk: int | None
    merchant_name: str | None
    merchant_owner: int | None
    wallet_pk: int | None
    policy_pk: int | None


# Prepared once per connection; the function's own statements are planned once per session
# by PL/pgSQL.
PAYMENT_PAY = PreparedStatement(
    "vouchers_payment_pay",
    (SQL_DIR / "payment_pay.sql").read_text(),
    params=[
        ("payer", "bigint"),
        ("code", "text"),
        ("amount", "bigint"),
        ("request", "bigint"),
        ("reauthenticated", "boolean"),
        ("now", "timestamptz"),
        ("business_date", "date"),
        ("month", "date"),
        ("credential_type", "text"),
        ("default_policy", "bigint[]"),
    ],
    row=PaymentOutcome,
)


def payment_create(
    *,
    payer,
    merchant_code: str | None = None,
    amount: int | None = None,
    request_id=None,
    reauthenticated: bool = False,
) -> Payment:
    """Pays a merchant from the payer's wallet: by merchant code and amount (static QR), or a
    payment request (dynamic QR, once, before it expires).

    Atomic: one journal transaction (grants first where the merchant's category is eligible,
    then cashback, then cash → merchant; incentive pool → cashback for holders of a valid
    BusanResidentCredential at the merchant's tier rate, within the monthly cap), anchored.
    Every refusal is a ValidationError naming the field and rule, with nothing written; a
    payer who runs the merchant is refused (code `self_payment`, by code or by request).

    Outside a caller's transaction a payment by code is one statement in autocommit (its own
    transaction, committed durably before this returns): one round trip. Inside one, it runs
    under a savepoint, as before. A payment request is locked first, in a transaction.

    Locks, in this order: the payment request (if any), the payer's wallet row and accounts
    (pk order), then one shard of the incentive pool if cashback is due. The merchant's
    account is credited without a lock (its balance is derived), so payments to one merchant
    do not queue.
    """
    if request_id is not None:
        return _request_pay(payer=payer, request_id=request_id, reauthenticated=reauthenticated)
    check_amount(amount, maximum=limits.MAX_PAYMENT)
    if not isinstance(merchant_code, str) or not merchant_code.strip():
        raise refuse("merchant", _("Unknown merchant code."))
    code = merchant_code.strip().upper()
    return _pay(payer, code, amount, request=None, reauthenticated=reauthenticated, savepoint=True)


@transaction.atomic
def _request_pay(*, payer, request_id, reauthenticated: bool) -> Payment:
    request = (
        PaymentRequest.objects.select_for_update()
        .select_related("merchant")
        .filter(public_id=request_id)
        .first()
    )
    if request is None:
        raise refuse("payment_request", _("Unknown payment request."))
    if Payment.objects.filter(request=request).exists():
        raise refuse("payment_request", _("This payment request has already been paid."))
    if request.expires_at <= timezone.now():
        raise refuse("payment_request", _("This payment request has expired."))
    return _pay(
        payer,
        request.merchant.code,
        request.amount,
        request=request,
        reauthenticated=reauthenticated,
        savepoint=False,  # our own transaction: an error rolls all of it back
    )


def _call(
    payer, code: str, amount: int, request, reauthenticated: bool, now: datetime, business_day
):
    today = timezone.localtime(now).date()
    with connection.cursor() as cursor:
        (row,) = PAYMENT_PAY.execute(
            cursor,
            payer=payer.pk,
            code=code,
            amount=amount,
            request=request.pk if request is not None else None,
            reauthenticated=reauthenticated,
            now=now,
            business_date=business_day,
            month=date(today.year, today.month, 1),
            credential_type=RESIDENT_CREDENTIAL,
            default_policy=DEFAULT_POLICY,
        )
    return row


def _pay(
    payer, code: str, amount: int, *, request, reauthenticated: bool, savepoint: bool
) -> Payment:
    business_day = core.business_date()  # the journal's day (core's: tests set it)
    for _attempt in range(2):
        now = timezone.now()
        if savepoint and connection.in_atomic_block:
            with transaction.atomic():
                row = _call(payer, code, amount, request, reauthenticated, now, business_day)
        else:
            row = _call(payer, code, amount, request, reauthenticated, now, business_day)
        if row.outcome != "no_wallet":
            break
        wallet_open(user=payer)  # the first payment of a new wallet: open it and try again
    else:
        raise RuntimeError("the wallet's accounts are missing")
    if row.outcome != "paid":
        raise _refusal(row, by_request=request is not None)
    merchant = loaded(
        Merchant,
        id=row.merchant_pk,
        code=code,
        name=row.merchant_name,
        owner_id=row.merchant_owner,
        status=Merchant.Status.APPROVED,
        is_frozen=False,
    )
    journal = loaded(
        JournalTransaction,
        id=row.entry_pk,
        public_id=row.entry_public_id,
        kind=JournalTransaction.Kind.PAYMENT,
        created_at=now,
        business_date=business_day,
        memo=code[:200],
        digest=row.entry_digest,
    )
    payment = loaded(
        Payment,
        id=row.payment_pk,
        public_id=row.payment_public_id,
        wallet_id=row.wallet_pk,
        merchant_id=row.merchant_pk,
        request_id=request.pk if request is not None else None,
        amount=amount,
        from_grants=row.from_grants,
        from_cashback=row.from_cashback,
        from_cash=row.from_cash,
        cashback=row.cashback,
        refunded=0,
        cashback_reversed=0,
        returned_cash=0,
        returned_cashback=0,
        journal_id=row.entry_pk,
        created_at=now,
    )
    payment.merchant = merchant
    payment.journal = journal
    payment.wallet = loaded(Wallet, id=row.wallet_pk, user_id=payer.pk, is_frozen=False)
    if request is not None:
        payment.request = request
    return payment


def _refusal(row: PaymentOutcome, *, by_request: bool):
    outcome = row.outcome
    if outcome == "merchant_unknown":
        return refuse("merchant", _("Unknown merchant code."))
    if outcome == "merchant_not_approved":
        return refuse("merchant", _("This merchant is not approved to accept vouchers."))
    if outcome == "merchant_frozen":
        return refuse("merchant", _("This merchant is frozen and cannot accept payments."))
    if outcome == "self_payment":
        # Self-dealing: the owner would earn cashback from the city's pool on her own sales
        # and settle grant money (spendable only at shops) to her own bank account as cash.
        return refuse(
            "payment_request" if by_request else "merchant",
            _("You cannot pay a merchant you run."),
            code="self_payment",
        )
    if outcome == "reauth":
        return refuse(
            "password",
            _("Payments above %(limit)s KRW need your password again.")
            % {"limit": int(row.detail or 0)},
        )
    if outcome == "wallet_frozen":
        return refuse(
            "wallet", _("This wallet is frozen: %(reason)s") % {"reason": row.detail or ""}
        )
    if outcome == "insufficient_funds":
        return refuse("amount", _("Insufficient balance for this payment."), "insufficient_funds")
    raise RuntimeError(f"vouchers_payment_pay answered {outcome!r}")
