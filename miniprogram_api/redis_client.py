"""Redis from REDIS_URL, or an in-process stand-in (fakeredis) when none is configured."""
from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.connection import BlockingConnectionPool

# A burst (two hundred messages at once from one citizen, replies promised later) needs more Redis
# connections than are open: the pool waits up to POOL_WAIT seconds for one instead of failing the
# request, as redis-py's default pool (100, then an error) would.
POOL_SIZE = 200
POOL_WAIT = 20.0


def make_redis(url: str | None) -> aioredis.Redis:
    if url:
        pool = BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=POOL_WAIT, decode_responses=True,
                                               socket_connect_timeout=2, socket_timeout=5)
        return aioredis.Redis.from_pool(pool)  # closing the client closes its pool
    from fakeredis import FakeAsyncRedis

    return FakeAsyncRedis(decode_responses=True)
