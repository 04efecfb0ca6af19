-- exchange_market_writer_lock: the market's writer lock, for the current transaction.
SELECT pg_advisory_xact_lock(%(lock_class)s, %(market)s)
