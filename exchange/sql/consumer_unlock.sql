-- exchange_consumer_unlock: lets the market's consumer lock go.
SELECT pg_advisory_unlock(%(lock_class)s, %(market)s)
