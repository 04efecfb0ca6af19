-- exchange_match_accounts_lock: the accounts a batch's journal entry moves, in pk order
-- (customers' by owner and asset, system accounts by kind and asset), with their balances.
SELECT id, owner_id, asset_id, kind, available, held FROM exchange_account
WHERE (kind = 'customer' AND owner_id = ANY (%(owners)s) AND asset_id = ANY (%(assets)s))
    OR (owner_id IS NULL AND (kind, asset_id) IN (
        SELECT * FROM unnest(%(system_kinds)s, %(system_assets)s)))
ORDER BY id
FOR UPDATE
