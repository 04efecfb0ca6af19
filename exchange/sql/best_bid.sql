-- exchange_best_bid: the highest resting bid of a market (the last entry of the book's index).
-- ORDER BY ... LIMIT 1, not MAX(): the planner turns MAX into a read of the index's last entry
-- only when the table's statistics say so; without them (a fresh or fast-growing table) it
-- aggregated every resting bid: 15 ms with 8,000 resting, on every market sell.
SELECT price FROM exchange_order
WHERE market_id = %(market)s AND side = 'buy' AND status IN ('open', 'partial')
ORDER BY price DESC
LIMIT 1
