"""One message at a time per citizen, in the order they arrived, across every app worker.

Inside a worker, a citizen's messages queue on an asyncio lock (first come, first served, no polling);
across workers, the one at the head of a worker's queue holds a Redis lock. The Redis lock is renewed
while the turn runs, so a slow turn (Rasa loading a model on a slow machine) never outlives it
unnoticed, and a lock that was lost anyway is logged, never an error for the citizen."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
import structlog
from redis.exceptions import LockError, RedisError

from miniprogram_api.errors import Unavailable

log = structlog.get_logger(__name__)

# Messages one citizen may have waiting in one worker; more is a flood, answered "busy, retry later".
MAX_WAITING = 500


class TurnBusy(Unavailable):
    """The citizen's queue is full or the lock could not be had in time: try again after `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__("busy", "您发的消息太多了，请稍等片刻再发", {"Retry-After": str(retry_after)}, retry_after)


class _Queue:
    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


class TurnLocks:
    def __init__(self, redis: aioredis.Redis, hold_seconds: float = 60.0, wait_seconds: float = 900.0):
        self.redis = redis
        self.hold_seconds = hold_seconds  # the Redis lock's time to live, renewed every third of it
        self.wait_seconds = wait_seconds  # how long a worker waits for another worker's turn to end
        self._queues: dict[str, _Queue] = {}

    @asynccontextmanager
    async def turn(self, sender: str) -> AsyncIterator[None]:
        queue = self._queues.setdefault(sender, _Queue())
        if queue.waiting >= MAX_WAITING:
            raise TurnBusy(retry_after=5)
        queue.waiting += 1
        try:
            async with queue.lock:
                async with self._across_workers(sender):
                    yield
        finally:
            queue.waiting -= 1
            if queue.waiting == 0 and self._queues.get(sender) is queue:
                del self._queues[sender]

    @asynccontextmanager
    async def _across_workers(self, sender: str) -> AsyncIterator[None]:
        lock = self.redis.lock(f"govhall:lock:{sender}", timeout=self.hold_seconds,
                               blocking_timeout=self.wait_seconds, sleep=0.05)
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            log.error("turn_lock_unavailable", error=type(exc).__name__)
            raise TurnBusy(retry_after=2) from exc
        if not acquired:
            log.warning("turn_lock_wait_exceeded", wait_seconds=self.wait_seconds)
            raise TurnBusy(retry_after=5)
        keeper = asyncio.create_task(self._keep(lock))
        try:
            yield
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            try:
                await lock.release()
            except (LockError, RedisError) as exc:
                # The turn is done and stored; only the next message's wait could have been shorter.
                log.warning("turn_lock_lost", error=type(exc).__name__)

    async def _keep(self, lock) -> None:
        while True:
            await asyncio.sleep(self.hold_seconds / 3)
            try:
                await lock.reacquire()
            except (LockError, RedisError) as exc:
                log.warning("turn_lock_renewal_failed", error=type(exc).__name__)
                return
