-- logistics_capture_stored: the stored events a document names, by event hash or by eventID
-- (services/checks.py). Nearly always none: only their keys come back, and the few rows found
-- are then read whole.
SELECT id FROM logistics_event
WHERE event_hash = ANY(%(hashes)s) OR event_id = ANY(%(event_ids)s)
