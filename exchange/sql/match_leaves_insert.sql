-- exchange_match_leaves_insert: the anchor leaves of a batch's trades (the columns
-- anchor_record_new writes; each ref names a taking order, so the leaves are new). The table
-- name is a psycopg2.sql identifier in braces.
INSERT INTO {leaf} (kind, ref, version, digest, envelope, is_public, created_at)
SELECT v.kind, v.ref, v.version, v.digest, v.envelope, v.is_public, %(now)s
FROM unnest(%(kinds)s, %(refs)s, %(versions)s, %(digests)s, %(envelopes)s, %(publics)s)
    AS v(kind, ref, version, digest, envelope, is_public)
