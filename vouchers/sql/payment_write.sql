-- vouchers_payment_write (after journal_entry.sql): everything a payment writes, in one
-- statement (the anchor leaf, the journal entry, its postings, the balances and the cashback
-- counter, the payment, its grant shares).
, balances AS (
    UPDATE {account} AS account SET
        balance = account.balance + delta.amount,
        cashback_month = CASE WHEN account.id = %(cashback_account)s THEN %(cashback_month)s
            ELSE account.cashback_month END,
        cashback_month_earned = CASE WHEN account.id = %(cashback_account)s
            THEN %(cashback_month_earned)s ELSE account.cashback_month_earned END
    FROM unnest(%(balance_accounts)s, %(balance_amounts)s) AS delta(id, amount)
    WHERE account.id = delta.id
        AND account.id = ANY(%(balance_accounts)s)  -- by primary key, never a scan
), payment AS (
    INSERT INTO {payment} (public_id, wallet_id, merchant_id, request_id, amount, from_grants,
        from_cashback, from_cash, cashback, refunded, cashback_reversed, returned_cash,
        returned_cashback, journal_id, created_at)
    SELECT %(payment_public_id)s, %(wallet)s, %(merchant)s, %(request)s, %(amount)s,
        %(from_grants)s, %(from_cashback)s, %(from_cash)s, %(cashback)s, 0, 0, 0, 0, entry.id,
        %(payment_created_at)s
    FROM entry
    RETURNING id
), shares AS (
    INSERT INTO {share} (payment_id, account_id, amount, returned)
    SELECT payment.id, share.account, share.amount, 0
    FROM payment, unnest(%(share_accounts)s, %(share_amounts)s) AS share(account, amount)
)
SELECT entry.id, payment.id FROM entry, payment
