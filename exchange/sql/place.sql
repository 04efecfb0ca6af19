-- exchange_place: a group of placements in one market (one element per order in each array
-- parameter; distinct owners), after exchange_place_lock. See services/orders.py.
WITH req AS (
    SELECT * FROM unnest(%(owners)s, %(public_ids)s, %(client_order_ids)s, %(sides)s,
            %(kinds)s, %(time_in_forces)s, %(post_onlys)s, %(prices)s, %(quantities)s,
            %(quote_amounts)s, %(helds)s, %(notionals)s, %(stps)s, %(hold_assets)s)
        WITH ORDINALITY AS r(owner, public_id, client_order_id, side, kind, tif, post_only,
            price, quantity, quote_amount, held, notional, stp, hold_asset, n)
), market AS (
    SELECT m.status = 'open' AND m.tick_size = %(tick_size)s AND m.lot_size = %(lot_size)s
        AND m.min_notional = %(min_notional)s AND m.base_id = %(base)s AND m.quote_id = %(quote)s
        AND base.decimals = %(decimals)s AND (quote.symbol = 'KRW') = %(is_krw)s AS fresh
    FROM exchange_market AS m
    JOIN exchange_asset AS base ON base.id = m.base_id
    JOIN exchange_asset AS quote ON quote.id = m.quote_id
    WHERE m.id = %(market)s
), checks AS MATERIALIZED (
    SELECT r.*, a.id AS hold_account, a.is_frozen AS frozen, a.available,
        (SELECT COUNT(*) FROM exchange_account AS b
            WHERE b.kind = 'customer' AND b.owner_id = r.owner
                AND b.asset_id IN (%(base)s, %(quote)s)
        ) AS found,
        GREATEST(LEAST((SELECT level FROM exchange_kyc_level(r.owner, %(now)s)),
            cardinality(%(caps_24h)s)), 0)::integer AS level,
        volume.day, volume.month, q.id AS quote_account, q.open_notional AS open
    FROM req AS r
    LEFT JOIN exchange_account AS a
        ON a.kind = 'customer' AND a.owner_id = r.owner AND a.asset_id = r.hold_asset
    LEFT JOIN exchange_account AS q
        ON q.kind = 'customer' AND q.owner_id = r.owner AND q.asset_id = %(quote)s
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(v.volume) FILTER (WHERE v.span = 'hour'), 0) AS day,
               COALESCE(SUM(v.volume) FILTER (WHERE v.span = 'day'), 0) AS month
        FROM exchange_tradedvolume AS v
        WHERE %(is_krw)s AND v.owner_id = r.owner AND v.asset_id = %(quote)s
            AND ((v.span = 'hour' AND v.start >= %(day_from)s)
                OR (v.span = 'day' AND v.start >= %(month_from)s))
    ) AS volume
), decision AS MATERIALIZED (
    SELECT c.*, CASE
            WHEN NOT COALESCE((SELECT fresh FROM market), false) THEN 'stale'
            WHEN c.level <= 0 THEN 'no_kyc'
            WHEN c.found < 2 THEN 'no_accounts'
            WHEN c.frozen THEN 'frozen'
            WHEN c.available < c.held THEN 'insufficient'
            WHEN %(is_krw)s AND (c.day + c.open + c.notional > %(caps_24h)s[c.level]
                OR c.month + c.open + c.notional > %(caps_30d)s[c.level]) THEN 'over_limit'
            ELSE 'ok'
        END AS outcome
    FROM checks AS c
), placed AS (
    INSERT INTO exchange_order (public_id, owner_id, market_id, client_order_id, side, kind,
        time_in_force, post_only, price, quantity, quote_amount, filled_quantity, filled_quote,
        held_remaining, notional, stp, status, cancel_reason, seq, created_at, updated_at)
    SELECT d.public_id, d.owner, %(market)s, d.client_order_id, d.side, d.kind, d.tif, d.post_only,
        d.price, d.quantity, d.quote_amount, 0, 0, d.held, d.notional, d.stp, 'pending', '',
        NULL, %(now)s, %(now)s
    FROM decision AS d WHERE d.outcome = 'ok' ORDER BY d.n
    ON CONFLICT (owner_id, client_order_id) WHERE NOT (client_order_id = '') DO NOTHING
    RETURNING id, public_id
), done AS MATERIALIZED (
    SELECT d.*, p.id AS order_id FROM decision AS d JOIN placed AS p ON p.public_id = d.public_id
), request AS (
    INSERT INTO exchange_orderrequest (market_id, order_id, action, created_at)
    SELECT %(market)s, done.order_id, 'place', %(now)s FROM done ORDER BY done.n
), entry AS (
    INSERT INTO exchange_journalentry (public_id, kind, reference, created_at)
    SELECT gen_random_uuid(), 'hold', done.public_id::text, %(now)s FROM done
    RETURNING id, reference
), postings AS (
    INSERT INTO exchange_posting (entry_id, account_id, asset_id, bucket, amount)
    SELECT entry.id, done.hold_account, done.hold_asset, line.bucket, line.sign * done.held
    FROM entry JOIN done ON done.public_id::text = entry.reference,
        (VALUES ('available', -1), ('held', 1)) AS line(bucket, sign)
    WHERE done.held <> 0
), moves AS (
    SELECT account, SUM(available)::bigint AS available, SUM(held)::bigint AS held,
        SUM(open)::bigint AS open
    FROM (
        SELECT done.hold_account, -done.held, done.held, 0 FROM done
        UNION ALL
        SELECT done.quote_account, 0, 0, done.notional FROM done
    ) AS move(account, available, held, open)
    GROUP BY account
), balance AS (
    UPDATE exchange_account AS a
    SET available = a.available + moves.available, held = a.held + moves.held,
        open_notional = a.open_notional + moves.open
    FROM moves WHERE a.id = moves.account
)
SELECT decision.outcome, done.order_id
FROM decision LEFT JOIN done ON done.n = decision.n
ORDER BY decision.n
