-- exchange_match_orders_update: every order a batch changed, in one UPDATE.
UPDATE exchange_order AS o
SET status = v.status, cancel_reason = v.cancel_reason, filled_quantity = v.filled_quantity,
    filled_quote = v.filled_quote, held_remaining = v.held_remaining, seq = v.seq,
    updated_at = %(now)s
FROM unnest(%(ids)s, %(statuses)s, %(cancel_reasons)s, %(filled_quantities)s,
    %(filled_quotes)s, %(helds)s, %(seqs)s)
    AS v(id, status, cancel_reason, filled_quantity, filled_quote, held_remaining, seq)
WHERE o.id = v.id
