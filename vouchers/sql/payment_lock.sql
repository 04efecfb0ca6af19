-- vouchers_payment_lock: everything a payment reads before it writes, one row per locked
-- account of the payer (rows: services.money.PaymentLockRow). See services/money.py.
WITH wallet AS MATERIALIZED (
    SELECT id, is_frozen, frozen_reason,
        EXISTS (SELECT FROM identity_credential_claims_valid(
            user_id, %(credential_type)s, %(now)s)) AS is_resident
    FROM vouchers_wallet WHERE user_id = %(user)s FOR UPDATE
)
SELECT wallet.id, wallet.is_frozen, wallet.frozen_reason,
       account.id, account.kind, account.balance, account.public_id,
       account.cashback_month, account.cashback_month_earned,
       programme.valid_until, programme.eligible_categories,
       merchant.id, merchant.name, merchant.status, merchant.is_frozen, merchant.tier,
       merchant.category, merchant.owner_id, merchant_account.id, merchant_account.public_id,
       (SELECT id FROM vouchers_policy ORDER BY version DESC LIMIT 1),
       (SELECT digest FROM vouchers_policy ORDER BY version DESC LIMIT 1),
       wallet.is_resident
FROM wallet
JOIN vouchers_account AS account ON account.wallet_id = wallet.id
    AND CASE account.kind WHEN 'cash' THEN true WHEN 'cashback' THEN true
        WHEN 'grant' THEN account.balance > 0 ELSE false END
LEFT JOIN vouchers_grantprogramme AS programme ON programme.id = account.programme_id
JOIN vouchers_merchant AS merchant ON merchant.code = %(code)s
JOIN vouchers_account AS merchant_account ON merchant_account.merchant_id = merchant.id
ORDER BY account.id
FOR UPDATE OF account
