"""Booking throughput on PostgreSQL: bookings per second and latency at concurrency 50, without
contention (every citizen a different slot) and with it (everyone the same slot), then a check that
no slot holds more bookings than seats. Starts `govhall serve` on a fresh database and real Redis.

    .venv/bin/python bench/booking_bench.py [--requests 2000] [--concurrency 50]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bot_stack import free_port  # noqa: E402
from tests.conftest import REDIS_URL, _create_pg_database, _drop_pg_database  # noqa: E402


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def _wait(url: str, proc: subprocess.Popen) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(240):
            if proc.poll() is not None:
                sys.exit(f"the app exited with {proc.returncode}")
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    sys.exit("the app did not start")


async def _run(http, url, jobs, concurrency) -> tuple[list[float], dict[int, int], float]:
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies, statuses = [], {}

    async def worker():
        while not queue.empty():
            headers, body = queue.get_nowait()
            t0 = time.perf_counter()
            async with http.post(url + "/api/v1/appointments", json=body, headers=headers) as resp:
                await resp.read()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - start


def _report(label: str, latencies, statuses, elapsed) -> None:
    booked = statuses.get(201, 0)
    print(f"{label:<22} requests {len(latencies):>5}  booked {booked:>5}  {len(latencies) / elapsed:7.1f} req/s  "
          f"{booked / elapsed:7.1f} bookings/s  p50 {statistics.median(latencies):6.1f} ms  "
          f"p95 {_pct(latencies, 95):6.1f} ms  p99 {_pct(latencies, 99):6.1f} ms  statuses {statuses}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="app processes (APP_WORKERS)")
    args = parser.parse_args()
    name, db_url = await _create_pg_database()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + "/14",
           "APP_PORT": str(port), "RASA_URL": "http://127.0.0.1:9", "LOG_LEVEL": "WARNING",
           "APP_WORKERS": str(args.workers), "DEV_LOGIN": "1"}
    for key in ("WXA_APP_ID", "WXA_APP_SECRET"):
        env.pop(key, None)  # the development login, so the bench needs no WeChat
    cli = [sys.executable, "-m", "miniprogram_api.cli"]
    subprocess.run(cli + ["seed"], env=env, check=True, capture_output=True)
    log = Path(tempfile.mkstemp(prefix="booking-bench-", suffix=".log")[1])
    app = subprocess.Popen(cli + ["serve"], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        print(f"app workers: {args.workers}, concurrency {args.concurrency}, PostgreSQL + Redis")
        await _wait(url, app)
        await asyncio.sleep(2)  # the first housekeeping run creates the week's slots
        pg = await asyncpg.connect(db_url.replace("postgres://", "postgresql://", 1))
        items = {"出入境": "CRJ-001", "公安户政": "GA-001", "不动产登记": "BDC-001", "住房公积金": "GJJ-001",
                 "税务": "SW-001", "市场监管": "SC-001", "人力社保": "RS-001"}
        slots = await pg.fetch("SELECT id, category FROM slot WHERE starts_at > now() + interval '2 hours' AND hall_code = 'SMZX' "
                               "AND category = ANY($1::text[]) ORDER BY id", list(items))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as http:
            async def citizen(n: int) -> dict[str, str]:
                async with http.post(url + "/api/v1/auth/dev-login", json={"openid": f"bench-{uuid.uuid4().hex[:12]}-{n}"}) as r:
                    return {"Authorization": "Bearer " + (await r.json())["token"]}

            people = [await citizen(n) for n in range(args.requests)]
            # Without contention: each citizen a different slot (seats are plentiful).
            jobs = [(people[n], {"slot_id": slots[n % len(slots)]["id"], "item_code": items[slots[n % len(slots)]["category"]],
                                 "idempotency_key": uuid.uuid4().hex}) for n in range(args.requests)]
            _report("uncontended", *await _run(http, url, jobs, args.concurrency))
            # With contention: everyone the same slot, 50 seats; the rest are told it is full.
            hot = slots[-1]
            await pg.execute("UPDATE slot SET capacity = booked + 50 WHERE id = $1", hot["id"])
            fresh = [await citizen(n) for n in range(args.requests)]
            jobs = [(fresh[n], {"slot_id": hot["id"], "item_code": items[hot["category"]],
                                "idempotency_key": uuid.uuid4().hex}) for n in range(args.requests)]
            _report("one slot, 50 seats", *await _run(http, url, jobs, args.concurrency))
        over = await pg.fetchval("SELECT count(*) FROM slot s WHERE s.booked > s.capacity OR s.booked <> "
                                 "(SELECT count(*) FROM appointment a WHERE a.slot_id = s.id AND a.status = 'booked')")
        print(f"slots overbooked or miscounted: {over}")
        await pg.close()
    finally:
        app.terminate()
        app.wait(timeout=20)
        await _drop_pg_database(name)


if __name__ == "__main__":
    asyncio.run(main())
