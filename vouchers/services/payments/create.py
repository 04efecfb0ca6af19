"""payment_create: the request's checks, the locking read, its context, the pure plan, the one
write. Each payment is one balanced journal transaction, anchored, or nothing at all."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vouchers import ledger, limits
from vouchers.models import Merchant, Payment, PaymentRequest

from ..core import check_amount, policy_by_pk, pool_shard_lock, refuse
from ..periods import month_start
from .context import payment_context
from .plan import cashback_counter, cashback_terms, payment_lines
from .read import payment_lock
from .write import payment_write


@transaction.atomic
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

    Locks, in this order: the payer's wallet row and accounts (one statement), then one shard
    of the incentive pool if cashback is due. The merchant's account is credited without a
    lock (its balance is derived), so payments to one merchant do not queue.
    """
    now = timezone.now()
    request = None
    if request_id is not None:
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
        if request.expires_at <= now:
            raise refuse("payment_request", _("This payment request has expired."))
        code = request.merchant.code
        amount = request.amount
    else:
        check_amount(amount, maximum=limits.MAX_PAYMENT)
        if not isinstance(merchant_code, str) or not merchant_code.strip():
            raise refuse("merchant", _("Unknown merchant code."))
        code = merchant_code.strip().upper()
    rows = payment_lock(payer, code, now)
    first = rows[0]
    if first.merchant_status != Merchant.Status.APPROVED:
        raise refuse("merchant", _("This merchant is not approved to accept vouchers."))
    if first.merchant_is_frozen:
        raise refuse("merchant", _("This merchant is frozen and cannot accept payments."))
    if first.merchant_owner_id == payer.pk:
        # Self-dealing: the owner would earn cashback from the city's pool on her own sales
        # and settle grant money (spendable only at shops) to her own bank account as cash.
        raise refuse(
            "payment_request" if request is not None else "merchant",
            _("You cannot pay a merchant you run."),
            code="self_payment",
        )
    policy = policy_by_pk(first.policy_id, digest=first.policy_digest)
    if amount > policy.reauth_threshold and not reauthenticated:
        raise refuse(
            "password",
            _("Payments above %(limit)s KRW need your password again.")
            % {"limit": policy.reauth_threshold},
        )
    if first.wallet_is_frozen:
        raise refuse(
            "wallet",
            _("This wallet is frozen: %(reason)s") % {"reason": first.wallet_frozen_reason},
        )
    context = payment_context(rows, payer=payer, code=code, now=now)
    locked, cash, cashback_account = context.locked, context.cash, context.cashback_account
    try:
        parts, from_cashback, from_cash = ledger.split_payment(
            amount,
            grants=[(pk, locked[pk].balance) for pk in context.grant_pks],
            cashback=cashback_account.balance,
            cash=cash.balance,
        )
    except ledger.LedgerError as exc:
        raise refuse(
            "amount", _("Insufficient balance for this payment."), "insufficient_funds"
        ) from exc
    cashback = 0
    pool = None
    month = month_start(now).date()
    terms = cashback_terms(policy, first.merchant_tier, cashback_account, month)
    if terms:
        due = ledger.cashback_for(amount, pool=amount, **terms)
        # The pool shard is locked last, and only when cashback is really due.
        if due and first.is_resident:
            pool = pool_shard_lock(preferred=first.wallet_id, need=due)
            if pool is not None:
                cashback = ledger.cashback_for(amount, pool=pool.balance, **terms)
                locked[pool.pk] = pool
    lines = payment_lines(
        amount=amount,
        locked=locked,
        parts=parts,
        from_cashback=from_cashback,
        from_cash=from_cash,
        cash=cash,
        cashback_account=cashback_account,
        merchant_account=context.merchant_account,
        pool=pool,
        cashback=cashback,
    )
    payment = Payment(
        wallet=context.wallet,
        merchant=context.merchant,
        request=request,
        amount=amount,
        from_grants=sum(part for _, part in parts),
        from_cashback=from_cashback,
        from_cash=from_cash,
        cashback=cashback,
        created_at=now,
    )
    return payment_write(
        payment,
        lines=lines,
        memo=code,
        locked=locked,
        parts=parts,
        cashback_account=cashback_account,
        counter=cashback_counter(month, cashback_account, cashback),
    )
