-- logistics_capture_stored: the stored events a document names, by event hash or by eventID
-- (services/checks.py). Nearly always none: only their keys come back, and the few rows found
-- are then read whole.
-- One unique-index probe per name, whatever the table's size when the connection made its
-- generic plan: the LIMIT keeps each lateral subquery a probe of its own. (The plain
-- `event_hash = ANY($1) OR event_id = ANY($2)`, planned on a young table, stayed a sequential
-- scan comparing every row with every name, ~10 ms a 100-event document at 3,000 rows, until
-- the next ANALYZE of the table.)
SELECT found.id FROM unnest(%(hashes)s) AS named(hash)
CROSS JOIN LATERAL (SELECT id FROM logistics_event WHERE event_hash = named.hash LIMIT 1) AS found
UNION
SELECT found.id FROM unnest(%(event_ids)s) AS named(event_id)
CROSS JOIN LATERAL (
    SELECT id FROM logistics_event WHERE event_id = named.event_id LIMIT 1
) AS found
