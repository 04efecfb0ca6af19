"""The payment's one data-modifying statement: journal entry, postings, balances, the
payment and its grant shares."""

from django.db import connection
from psycopg2 import sql as pgsql

from vouchers.models import JournalTransaction, Payment, PaymentGrantShare

from ..core import journal_draft, journal_statement, journal_written

# Everything a payment writes, in one statement prepared once per connection
# (vouchers/sql/journal_entry.sql, then payment_write.sql; a fixed shape: the postings,
# balance changes and grant shares travel as arrays): the journal entry's anchor leaf (the
# columns anchor_record_new writes), the entry, its postings, the materialised balances with
# the cashback account's monthly counter (a row may be updated once per statement, so the
# counter rides on its balance update), the payment and its grant shares. No model
# validation: every value is built in payment_create, and the database holds the rules that
# matter (CheckConstraints on balances, postings and the payment's sources, unique keys, the
# deferred trigger that each journal transaction sums to zero). Only table names are
# formatted into the SQL.
PAYMENT_WRITE = journal_statement(
    "vouchers_payment_write",
    "payment_write.sql",
    params=[
        # the cashback account's monthly counter, riding on its balance update
        ("cashback_account", "bigint"),
        ("cashback_month", "date"),
        ("cashback_month_earned", "bigint"),
        # the payment and its grant shares
        ("payment_public_id", "uuid"),
        ("wallet", "bigint"),
        ("merchant", "bigint"),
        ("request", "bigint"),
        ("amount", "bigint"),
        ("from_grants", "bigint"),
        ("from_cashback", "bigint"),
        ("from_cash", "bigint"),
        ("cashback", "bigint"),
        ("payment_created_at", "timestamptz"),
        ("share_accounts", "bigint[]"),
        ("share_amounts", "bigint[]"),
    ],
    payment=pgsql.Identifier(Payment._meta.db_table),
    share=pgsql.Identifier(PaymentGrantShare._meta.db_table),
)


def payment_write(
    payment: Payment, *, lines, memo: str, locked: dict, parts, cashback_account, counter
) -> Payment:
    draft = journal_draft(
        kind=JournalTransaction.Kind.PAYMENT, lines=lines, memo=memo, locked=locked
    )
    balances = draft.materialised
    if counter and cashback_account.pk not in dict(balances):  # its lines netted to zero
        balances = [*balances, (cashback_account.pk, 0)]
    with connection.cursor() as cursor:
        ((entry_pk, payment_pk),) = PAYMENT_WRITE.execute(
            cursor,
            **draft.leaf_values(),
            balance_accounts=[pk for pk, _ in balances],
            balance_amounts=[amount for _, amount in balances],
            cashback_account=cashback_account.pk if counter else None,
            cashback_month=counter[0] if counter else None,
            cashback_month_earned=counter[1] if counter else None,
            payment_public_id=str(payment.public_id),
            wallet=payment.wallet_id,
            merchant=payment.merchant_id,
            request=payment.request_id,
            amount=payment.amount,
            from_grants=payment.from_grants,
            from_cashback=payment.from_cashback,
            from_cash=payment.from_cash,
            cashback=payment.cashback,
            payment_created_at=payment.created_at,
            share_accounts=[pk for pk, _ in parts],
            share_amounts=[part for _, part in parts],
        )
    payment.journal = journal_written(draft, entry_pk, locked)
    payment.pk = payment_pk
    payment._state.adding = False
    payment._state.db = connection.alias
    return payment
