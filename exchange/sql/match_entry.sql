-- exchange_match_post (this, then match_balances.sql): a batch's netted journal entry, its
-- postings and the balance changes, in one statement.
WITH e AS (
    INSERT INTO exchange_journalentry (public_id, kind, reference, created_at)
    VALUES (%(public_id)s, 'match', %(reference)s, %(now)s)
    RETURNING id
), p AS (
    INSERT INTO exchange_posting (entry_id, account_id, asset_id, bucket, amount)
    SELECT e.id, v.account, v.asset, v.bucket, v.amount
    FROM e, unnest(%(posting_accounts)s, %(posting_assets)s, %(posting_buckets)s,
        %(posting_amounts)s) AS v(account, asset, bucket, amount)
)
