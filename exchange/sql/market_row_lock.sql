-- exchange_market_row_lock: the market's row (its columns in braces, from the model) and its
-- base asset's decimals, after exchange_market_writer_lock. NO KEY UPDATE: placements insert
-- orders referencing the market (a KEY SHARE lock) while holding their accounts, which the
-- matcher then locks; FOR UPDATE would deadlock them.
SELECT {columns}, b.decimals
FROM exchange_market AS m
JOIN exchange_asset AS b ON b.id = m.base_id
WHERE m.id = %(market)s
FOR NO KEY UPDATE OF m
