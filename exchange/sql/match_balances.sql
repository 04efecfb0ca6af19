-- exchange_match_balances: the balance changes of a batch's accounts (available, held, and
-- what the owner's open orders may still trade). Also the last part of exchange_match_post.
UPDATE exchange_account AS a
SET available = a.available + v.available, held = a.held + v.held,
    open_notional = a.open_notional + v.open
FROM unnest(%(accounts)s, %(availables)s, %(helds)s, %(opens)s) AS v(id, available, held, open)
WHERE a.id = v.id
