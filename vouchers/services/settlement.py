"""T+1 settlement of merchants through the bank gateway, and the daily close of the journal."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from busanhub.bank.gateway import BankDeclined, BankUnavailable, gateway
from busanhub.chain.services import anchor_record
from vouchers import ledger
from vouchers.models import (
    Account,
    DailyClose,
    JournalTransaction,
    Merchant,
    PaymentGrantShare,
    Posting,
    Settlement,
    SettlementAttempt,
)

from .core import accounts_lock, journal_post, refuse, system_account


def settlement_bank_key(settlement: Settlement) -> str:
    """The bank idempotency key of the settlement's current payment attempt: the first one
    is the settlement's own key, each staff retry after a decline gets the next one."""
    if not settlement.attempt:
        return settlement.bank_idempotency_key
    return f"{settlement.bank_idempotency_key}-retry-{settlement.attempt}"


@transaction.atomic
def settlement_create(*, merchant: Merchant, business_date: date) -> Settlement:
    """The merchant's settlement of one business day: its payments less its refunds of that
    day (never more than the merchant account holds), moved to settlement clearing in one
    anchored journal transaction. Idempotent: one settlement per merchant and day.

    Grant money never becomes cash for its grantee: grant money the merchant's owner paid to
    her own shop (refused at payment time; possible only for payments made before she came
    to run it) is withheld, left in the merchant account for staff to return."""
    existing = Settlement.objects.filter(merchant=merchant, business_date=business_date).first()
    if existing is not None:
        return existing
    account = merchant.account
    sums = Posting.objects.filter(
        account=account, transaction__business_date=business_date
    ).aggregate(
        gross=Sum("amount", filter=Q(transaction__kind=JournalTransaction.Kind.PAYMENT)),
        refunds=Sum("amount", filter=Q(transaction__kind=JournalTransaction.Kind.REFUND)),
    )
    gross, refunds = sums["gross"] or 0, -(sums["refunds"] or 0)
    own_grants = (
        PaymentGrantShare.objects.filter(
            payment__merchant=merchant,
            payment__wallet__user_id=merchant.owner_id,
            payment__journal__business_date=business_date,
        ).aggregate(total=Sum(F("amount") - F("returned")))["total"]
        or 0
    )
    clearing = system_account(Account.Kind.CLEARING)
    locked = accounts_lock([account.pk, clearing.pk])
    amount = max(0, min(gross - refunds - own_grants, locked[account.pk].balance))
    settlement = Settlement(
        merchant=merchant, business_date=business_date, gross=gross, refunds=refunds, amount=amount
    )
    if amount:
        settlement.journal = journal_post(
            kind=JournalTransaction.Kind.SETTLEMENT,
            lines=[(locked[account.pk], -amount), (locked[clearing.pk], amount)],
            memo=f"{merchant.code} {business_date.isoformat()}",
            locked=locked,
        )
    else:
        settlement.status = Settlement.Status.EMPTY
    try:
        with transaction.atomic():
            settlement.save()
    except IntegrityError:  # a concurrent run created it; ours rolls back with this call
        raise
    return settlement


def settlement_pay(*, settlement_pk: int) -> Settlement:
    """Pays a pending settlement to the merchant's bank account through the gateway, with the
    settlement's own idempotency key (a retry never pays twice), outside our transactions;
    then clearing → bank in one anchored journal transaction. A decline marks it failed (the
    money stays in clearing for staff to resolve); BankUnavailable propagates, still pending."""
    settlement = Settlement.objects.select_related("merchant").get(pk=settlement_pk)
    if settlement.status != Settlement.Status.PENDING:
        return settlement
    try:
        transfer = gateway().transfer_out(
            account_ref=settlement.merchant.bank_account_ref,
            amount=settlement.amount,
            reference=f"Busan voucher settlement {settlement.business_date}",
            idempotency_key=settlement_bank_key(settlement),
        )
    except BankDeclined:
        return _settlement_record(settlement_pk=settlement_pk, transfer_id="")
    return _settlement_record(settlement_pk=settlement_pk, transfer_id=transfer.transfer_id)


@transaction.atomic
def _settlement_record(
    *, settlement_pk: int, transfer_id: str, attempt: int | None = None
) -> Settlement:
    settlement = Settlement.objects.select_for_update().get(pk=settlement_pk)
    # A transfer the bank made for this very attempt is recorded even over a "failed" the
    # bank answered before (reconciliation trusts the bank's ledger, never pays again).
    found_paid = bool(transfer_id) and attempt == settlement.attempt
    if settlement.status != Settlement.Status.PENDING and not (
        found_paid and settlement.status == Settlement.Status.FAILED
    ):
        return settlement
    if not transfer_id:
        settlement.status = Settlement.Status.FAILED
        settlement.save(update_fields=["status"])
        return settlement
    settlement.payout_journal = journal_post(
        kind=JournalTransaction.Kind.PAYOUT,
        lines=[
            (system_account(Account.Kind.CLEARING), -settlement.amount),
            (system_account(Account.Kind.BANK), settlement.amount),
        ],
        memo=f"payout {settlement.public_id}",
    )
    settlement.status = Settlement.Status.PAID
    settlement.transfer_id = transfer_id
    settlement.save(update_fields=["status", "transfer_id", "payout_journal"])
    return settlement


@transaction.atomic
def _settlement_rearm(*, settlement_pk: int, seen_attempt: int) -> Settlement:
    """After a decline: the next attempt, with its own bank key. A concurrent retry that
    re-armed it already (the attempt moved on) is joined, not doubled."""
    settlement = Settlement.objects.select_for_update().get(pk=settlement_pk)
    if settlement.status == Settlement.Status.FAILED and settlement.attempt == seen_attempt:
        settlement.attempt += 1
        settlement.status = Settlement.Status.PENDING
        settlement.save(update_fields=["attempt", "status"])
    return settlement


def _attempt_log(*, settlement: Settlement, outcome: str, reason: str, by) -> SettlementAttempt:
    settlement.refresh_from_db(fields=["attempt", "status", "transfer_id"])
    attempt = SettlementAttempt(
        settlement=settlement,
        attempt=settlement.attempt,
        by=by,
        reason=reason,
        outcome=outcome,
        transfer_id=settlement.transfer_id,
    )
    attempt.full_clean(exclude=["settlement", "by"])
    attempt.save()
    return attempt


def settlement_retry(*, settlement: Settlement, reason: str, by=None) -> SettlementAttempt:
    """Staff retry of a settlement the bank declined or did not answer about. Never pays
    twice: the bank is first asked about the current attempt's key, and a transfer it made is
    recorded as paid with no new transfer; only a declined (or never taken) one is paid again,
    declined ones under the next attempt's key. A paid or empty settlement is left as it is.
    Every call is audited (`SettlementAttempt`: who, why, outcome), and the merchant's
    dashboard shows the status. A silent bank is a refusal naming `settlement` (audited too;
    the payout task keeps asking). Needs a reason (ValidationError naming `reason`)."""
    reason = (reason or "").strip()
    if not reason:
        raise refuse("reason", _("Give the reason for retrying the payment."))
    settlement = Settlement.objects.select_related("merchant").get(pk=settlement.pk)
    outcomes = SettlementAttempt.Outcome
    if settlement.status not in (Settlement.Status.PENDING, Settlement.Status.FAILED):
        return _attempt_log(settlement=settlement, outcome=outcomes.UNCHANGED, reason=reason, by=by)
    try:
        transfer = gateway().transfer_status(idempotency_key=settlement_bank_key(settlement))
        if transfer is not None and transfer.status == "completed":
            settlement = _settlement_record(
                settlement_pk=settlement.pk,
                transfer_id=transfer.transfer_id,
                attempt=settlement.attempt,
            )
            return _attempt_log(
                settlement=settlement, outcome=outcomes.ALREADY_PAID, reason=reason, by=by
            )
        if settlement.status == Settlement.Status.FAILED or transfer is not None:
            if settlement.status == Settlement.Status.PENDING:  # declined, not yet recorded
                _settlement_record(settlement_pk=settlement.pk, transfer_id="")
            _settlement_rearm(settlement_pk=settlement.pk, seen_attempt=settlement.attempt)
        settlement = settlement_pay(settlement_pk=settlement.pk)
    except BankUnavailable as exc:
        _attempt_log(settlement=settlement, outcome=outcomes.PENDING, reason=reason, by=by)
        from vouchers.tasks import settlement_pay_task

        pk = settlement.pk
        transaction.on_commit(lambda: settlement_pay_task.apply_async(args=[pk], countdown=60))
        raise refuse(
            "settlement",
            _("The bank did not answer; the payment stays pending and will be asked again."),
        ) from exc
    outcome = outcomes.PAID if settlement.status == Settlement.Status.PAID else outcomes.FAILED
    return _attempt_log(settlement=settlement, outcome=outcome, reason=reason, by=by)


def settlements_run(*, business_date: date) -> list[Settlement]:
    """Creates the settlement of the day of every merchant whose account moved that day
    (idempotent)."""
    merchants = (
        Merchant.objects.filter(
            account__postings__transaction__business_date=business_date,
            account__postings__transaction__kind__in=[
                JournalTransaction.Kind.PAYMENT,
                JournalTransaction.Kind.REFUND,
            ],
        )
        .distinct()
        .select_related("account")
        .order_by("pk")
    )
    return [settlement_create(merchant=m, business_date=business_date) for m in merchants]


@transaction.atomic
def day_close(*, business_date: date) -> DailyClose:
    """Closes a business day: the sha256 of its journal (transaction ids and anchor digests in
    journal order), anchored publicly as `vouchers.day` (ref = the date). Idempotent; close a
    day only once it is over, since later entries of that date would not be in the digest."""
    existing = DailyClose.objects.filter(business_date=business_date).first()
    if existing is not None:
        return existing
    entries = list(
        JournalTransaction.objects.filter(business_date=business_date)
        .order_by("pk")
        .values_list("public_id", "digest")
    )
    journal_digest = ledger.journal_digest((str(p), d) for p, d in entries)
    leaf = anchor_record(
        kind="vouchers.day",
        ref=business_date.isoformat(),
        version=1,
        data={
            "businessDate": business_date.isoformat(),
            "entries": len(entries),
            "journalDigest": journal_digest,
        },
        public=True,
    )
    return DailyClose.objects.create(
        business_date=business_date,
        entries=len(entries),
        journal_digest=journal_digest,
        digest=leaf.digest,
    )
