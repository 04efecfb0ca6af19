-- exchange_match_market_update: the market's last sequence number and book version.
UPDATE exchange_market SET last_seq = %(last_seq)s, book_version = %(book_version)s
WHERE id = %(market)s
