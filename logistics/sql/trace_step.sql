-- logistics_trace_step: one level of a trace (selectors.trace): the identifiers linked to
-- those given through one event, as (known, linked) pairs. A link is a pair of roles given
-- as two arrays, position by position (an input to an output, a child to its parent, or the
-- reverse); an aggregation links only when it adds or observes (not when it deletes).
SELECT known.identifier, linked.identifier
FROM logistics_eventepc AS known
JOIN unnest(%(known_roles)s, %(linked_roles)s) AS pair (known_role, linked_role)
    ON pair.known_role = known.role
JOIN logistics_eventepc AS linked
    ON linked.event_id = known.event_id AND linked.role = pair.linked_role
        AND linked.identifier <> known.identifier
JOIN logistics_event AS event ON event.id = known.event_id
WHERE known.identifier = ANY(%(identifiers)s) AND known.role = ANY(%(known_roles)s)
    AND (known.role <> ALL(%(aggregation_roles)s) OR event.action IN ('ADD', 'OBSERVE'))
