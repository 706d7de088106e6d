"""The per-citizen turn lock: turns run one at a time in arrival order, a turn longer than the lock's
time to live keeps its lock, a lost lock never fails the turn, and a flood is refused with 503."""
from __future__ import annotations

import asyncio

import pytest

from bot import turn_lock
from bot.turn_lock import TurnBusy, TurnLocks
from miniprogram_api.http import http_status
from miniprogram_api.redis_client import make_redis

pytestmark = pytest.mark.both_redis


@pytest.fixture
async def redis(redis_url):
    client = make_redis(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


async def test_turns_of_one_citizen_run_one_at_a_time_in_arrival_order(redis):
    locks, order, inside = TurnLocks(redis, hold_seconds=5), [], []

    async def turn(n: int) -> None:
        async with locks.turn("wechat:o1"):
            inside.append(n)
            assert len(inside) == 1, "two turns of one citizen overlapped"
            await asyncio.sleep(0.001)
            order.append(n)
            inside.remove(n)

    tasks = []
    for n in range(60):
        tasks.append(asyncio.create_task(turn(n)))
        await asyncio.sleep(0)  # each arrives after the one before
    await asyncio.gather(*tasks)
    assert order == list(range(60))


async def test_a_turn_longer_than_the_lock_keeps_it_and_other_workers_wait(redis):
    # Two TurnLocks on one Redis are two app workers.
    # The lock lives 1.5 s and is renewed every 0.5 s: a loaded machine would have to stall the event
    # loop for a second to lose it.
    worker_a, worker_b = TurnLocks(redis, hold_seconds=1.5), TurnLocks(redis, hold_seconds=1.5)
    events = []

    async def slow() -> None:
        async with worker_a.turn("miniprogram:7"):
            events.append("a-start")
            await asyncio.sleep(5.0)  # more than three times the lock's time to live
            assert await redis.exists("govhall:lock:miniprogram:7"), "the lock expired during the turn"
            events.append("a-end")

    async def other() -> None:
        await asyncio.sleep(0.2)
        async with worker_b.turn("miniprogram:7"):
            events.append("b")

    await asyncio.gather(slow(), other())
    assert events == ["a-start", "a-end", "b"]


async def test_a_lost_lock_is_logged_not_raised(redis):
    locks = TurnLocks(redis, hold_seconds=30)
    async with locks.turn("wechat:o2"):
        await redis.delete("govhall:lock:wechat:o2")  # expired or taken over while the turn ran
    async with locks.turn("wechat:o2"):  # and the next turn still gets its lock
        assert await redis.exists("govhall:lock:wechat:o2")


async def test_a_flood_from_one_citizen_is_refused_with_retry_after(redis, monkeypatch):
    monkeypatch.setattr(turn_lock, "MAX_WAITING", 5)
    locks, release = TurnLocks(redis, hold_seconds=5), asyncio.Event()

    async def turn() -> None:
        async with locks.turn("wechat:o3"):
            await release.wait()

    held = [asyncio.create_task(turn()) for _ in range(5)]
    await asyncio.sleep(0.05)
    with pytest.raises(TurnBusy) as refused:
        await turn()
    assert http_status(refused.value) == 503 and refused.value.retry_after > 0
    release.set()
    await asyncio.gather(*held)
    async with locks.turn("wechat:o3"):  # the queue drained: accepted again
        pass
