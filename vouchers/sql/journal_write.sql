-- vouchers_journal_write (after journal_entry.sql): a journal transaction in one statement:
-- its anchor leaf, the entry, its postings and the materialised balances (services/core.py,
-- journal_post).
, balances AS (
    UPDATE {account} AS account SET balance = account.balance + delta.amount
    FROM unnest(%(balance_accounts)s, %(balance_amounts)s) AS delta(id, amount)
    WHERE account.id = delta.id
        AND account.id = ANY(%(balance_accounts)s)  -- by primary key, never a scan
)
SELECT id FROM entry
