-- logistics_capture_lock: the master data a capture names, locked and read in one statement
-- (rows: services.locks.LockedRow). See services/locks.py for the order and why.
-- The parties first: named by their own GLN or company prefix, the capturer, and the owners of
-- the locations named; then the locations, the products, and the lots transformations take.
-- A row locked after waiting for a concurrent update is returned as committed by it (READ
-- COMMITTED re-reads a locked row), so `is_active` here is what the checks must see.
WITH party AS MATERIALIZED (
    SELECT id, gln, company_prefix, is_active FROM logistics_party
    WHERE gln = ANY(%(glns)s) OR id = ANY(%(party_pks)s)
        OR company_prefix = ANY(%(prefixes)s)
        OR id IN (SELECT party_id FROM logistics_location WHERE gln = ANY(%(glns)s))
    ORDER BY id FOR SHARE
), location AS MATERIALIZED (
    SELECT id, gln, party_id, is_active FROM logistics_location
    WHERE gln = ANY(%(glns)s) ORDER BY id FOR SHARE
), product AS MATERIALIZED (
    SELECT id, gtin, is_active FROM logistics_product
    WHERE gtin = ANY(%(gtins)s) ORDER BY id FOR SHARE
), lot AS MATERIALIZED (
    SELECT id FROM logistics_lot WHERE identifier = ANY(%(lots)s) ORDER BY id FOR UPDATE
)
SELECT 'party', id, gln, company_prefix, is_active, NULL::bigint FROM party
UNION ALL SELECT 'location', id, gln, '', is_active, party_id FROM location
UNION ALL SELECT 'product', id, gtin, '', is_active, NULL FROM product
UNION ALL SELECT 'lot', id, '', '', true, NULL FROM lot
