-- vouchers_journal_write: a journal transaction in one statement: its anchor leaf, the entry,
-- its postings and the materialised balances (services/core.py, journal_post). Table names
-- are psycopg2.sql identifiers in braces; values are parameters.
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
), balances AS (
    UPDATE {account} AS account SET balance = account.balance + delta.amount
    FROM unnest(%(balance_accounts)s, %(balance_amounts)s) AS delta(id, amount)
    WHERE account.id = delta.id
        AND account.id = ANY(%(balance_accounts)s)  -- by primary key, never a scan
)
SELECT id FROM entry
