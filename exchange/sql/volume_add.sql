-- exchange_volume_add: traded quote value added to each (owner, quote asset)'s hour and day
-- (services/volume.py); rows taken in one order (owner, span, asset): no deadlock between two
-- markets' matchers adding for the same user.
INSERT INTO exchange_tradedvolume AS t (owner_id, asset_id, span, start, volume)
SELECT v.owner, v.asset, s.span, s.start, v.volume
FROM unnest(%(owners)s, %(assets)s, %(volumes)s) AS v(owner, asset, volume),
    (VALUES ('hour', %(hour)s), ('day', %(day)s)) AS s(span, start)
ORDER BY v.owner, s.span, v.asset
ON CONFLICT (owner_id, span, start, asset_id) DO UPDATE SET volume = t.volume + EXCLUDED.volume
