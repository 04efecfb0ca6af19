-- exchange_place_lock: the owners' accounts of the market, in pk order (as accounts_lock).
SELECT 1 FROM exchange_account
WHERE kind = 'customer' AND owner_id = ANY (%(owners)s) AND asset_id IN (%(base)s, %(quote)s)
ORDER BY id
FOR UPDATE
