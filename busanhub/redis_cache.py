"""Django's Redis cache backend, with one redis-py client per server instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the shared connection
pool for every cache operation, and redis-py's constructor copies its table of ~200 response
callbacks each time: a session read, a throttle's get and set, a rate limit each paid it
(~0.1 ms of CPU per operation, a few per request). A client only borrows a pooled connection
for the length of a command, so one client per pool is what redis-py recommends and is safe to
share between threads; Django keeps one cache object per thread anyway. Everything else
(serializer, pools, options, replicas) is Django's.

`CACHE_URL=redis://…` selects this backend (settings/base.py).
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
