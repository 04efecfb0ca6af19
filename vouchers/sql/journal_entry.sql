-- The part of vouchers_journal_write that writes a journal transaction: its anchor leaf, the
-- entry and its postings (journal_write.sql goes on with the balances and returns the entry;
-- a payment writes its own in vouchers_payment_pay, migrations/0011). Table names are
-- psycopg2.sql identifiers in braces; values are parameters.
WITH leaf AS (
    INSERT INTO {leaf} (kind, ref, version, digest, envelope, is_public, created_at)
    VALUES (%(leaf_kind)s, %(leaf_ref)s, %(leaf_version)s, %(digest)s, %(envelope)s,
        %(is_public)s, %(created_at)s)
), entry AS (
    INSERT INTO {journal} (public_id, kind, created_at, business_date, memo, digest)
    VALUES (%(entry_public_id)s, %(entry_kind)s, %(created_at)s, %(business_date)s, %(memo)s,
        %(digest)s)
    RETURNING id
), lines AS (
    INSERT INTO {posting} (transaction_id, account_id, amount)
    SELECT entry.id, line.account, line.amount
    FROM entry, unnest(%(posting_accounts)s, %(posting_amounts)s) AS line(account, amount)
)
