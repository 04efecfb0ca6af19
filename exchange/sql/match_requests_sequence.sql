-- exchange_match_requests_sequence: the sequence number the matcher gave each request.
UPDATE exchange_orderrequest AS r SET seq = v.seq
FROM unnest(%(ids)s, %(seqs)s) AS v(id, seq)
WHERE r.id = v.id
