-- exchange_match_fee_tiers: each owner's fee tier by her 30-day traded quote volume (the
-- highest tier it reaches; the lowest tier when it reaches none). See services/matching.
SELECT o.owner, tier.maker_bps, tier.taker_bps
FROM unnest(%(owners)s) AS o(owner)
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(v.volume), 0) AS volume FROM exchange_tradedvolume AS v
    WHERE v.owner_id = o.owner AND v.span = 'day' AND v.start >= %(month_from)s
) AS traded
CROSS JOIN LATERAL (
    SELECT t.maker_bps, t.taker_bps FROM exchange_feetier AS t
    ORDER BY t.min_volume_30d <= traded.volume DESC,
        CASE WHEN t.min_volume_30d <= traded.volume THEN -t.min_volume_30d
             ELSE t.min_volume_30d END
    LIMIT 1
) AS tier
