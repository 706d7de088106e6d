"""Redis from REDIS_URL, or an in-process stand-in (fakeredis) when none is configured."""
from __future__ import annotations

import redis.asyncio as aioredis


def make_redis(url: str | None) -> aioredis.Redis:
    if url:
        return aioredis.from_url(url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5)
    from fakeredis import FakeAsyncRedis

    return FakeAsyncRedis(decode_responses=True)
