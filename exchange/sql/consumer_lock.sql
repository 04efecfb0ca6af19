-- exchange_consumer_lock: a market's consumer lock (a session lock), if it is free.
SELECT pg_try_advisory_lock(%(lock_class)s, %(market)s)
