-- logistics_biz_steps: the distinct business steps of all events, in order (the admin's
-- event filter). A DISTINCT reads every row of the table; this walks the biz_step index one
-- value at a time (a "loose index scan"): one probe per distinct step, however many events.
WITH RECURSIVE steps (value) AS (
    (SELECT biz_step FROM logistics_event ORDER BY biz_step LIMIT 1)
    UNION ALL
    SELECT (
        SELECT biz_step FROM logistics_event WHERE biz_step > steps.value
        ORDER BY biz_step LIMIT 1
    )
    FROM steps WHERE steps.value IS NOT NULL
)
SELECT value FROM steps WHERE value IS NOT NULL
