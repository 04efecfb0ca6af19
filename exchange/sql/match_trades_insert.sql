-- exchange_match_trades_insert: a batch's trades, in fill order.
INSERT INTO exchange_trade (public_id, market_id, maker_order_id, taker_order_id, taker_side,
    price, quantity, notional, maker_fee, taker_fee, is_anchored, created_at)
SELECT v.public_id, %(market)s, v.maker, v.taker, v.side, v.price, v.quantity, v.notional,
    v.maker_fee, v.taker_fee, false, %(now)s
FROM unnest(%(public_ids)s, %(makers)s, %(takers)s, %(sides)s, %(prices)s, %(quantities)s,
        %(notionals)s, %(maker_fees)s, %(taker_fees)s)
    WITH ORDINALITY AS v(public_id, maker, taker, side, price, quantity, notional, maker_fee,
        taker_fee, n)
ORDER BY v.n
