-- exchange_requests_waiting: a market's waiting requests in log order, with their orders'
-- columns (services/matching/live.py: Row.FIELDS, in that order).
SELECT r.id, r.action, r.order_id, o.public_id, o.owner_id, o.side, o.kind, o.time_in_force,
    o.post_only, o.price, o.quantity, o.quote_amount, o.stp, o.filled_quantity, o.filled_quote,
    o.held_remaining, o.notional, o.status, o.cancel_reason, o.seq
FROM exchange_orderrequest AS r
JOIN exchange_order AS o ON o.id = r.order_id
WHERE r.market_id = %(market)s AND r.seq IS NULL
ORDER BY r.id
LIMIT %(limit)s
