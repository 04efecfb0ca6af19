-- logistics_capture_claim: a capture's claim on the events it names, held until its commit.
-- Two captures naming one event (by hash or eventID) run one after the other: the second looks
-- its stored events up (capture_stored.sql, a later statement, so a later snapshot) only once
-- the first has committed, and finds them there as duplicates instead of failing on the unique
-- index. Keys are taken in one order (sorted), so two documents sharing several events cannot
-- deadlock; the subquery's order is the order the locks are taken in.
SELECT count(pg_advisory_xact_lock(claim.key)) FROM (
    SELECT DISTINCT hashtextextended('epcis-event:' || name, 0) AS key
    FROM unnest(%(hashes)s || %(event_ids)s) AS name
    ORDER BY 1
) AS claim
