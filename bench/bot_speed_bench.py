"""Speed of the bot path: messages through the conversation service to the real Rasa server and the
actions (hosted by the app), with transcripts written to PostgreSQL and the per-user lock in Redis.

    .venv/bin/python bench/bot_speed_bench.py [--messages 1000] [--per-citizen 5] [--rasa-processes 2]

Each simulated citizen asks about `--per-citizen` questions (their messages spread over the run), as
citizens do; Rasa's work per message grows with the length of the conversation.

Prints p50/p95/p99 latency and messages per second at concurrency 1, 10 and 50. Rasa runs as `make run`
runs it: two processes unless --rasa-processes says otherwise.
Target (issue 3): p95 <= 150 ms at concurrency 10.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from stack import BENCH_REDIS_URL, bot_stack, citizen_of, one_turn_sentences  # noqa: I001

from bot.conversation import ConversationService  # noqa: E402
from bot.rasa_client import RasaClient  # noqa: E402
from miniprogram_api.db import close_db, init_db  # noqa: E402
from miniprogram_api.logging import configure_logging  # noqa: E402
from miniprogram_api.redis_client import make_redis  # noqa: E402


async def level(service: ConversationService, sentences: list[str], concurrency: int, total: int,
                per_citizen: int = 5) -> dict:
    latencies: list[float] = []
    run_id = uuid.uuid4().hex[:8]  # trackers persist in Redis: every run starts new conversations
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait((f"bench-{run_id}-{concurrency}-{citizen_of(i, total, concurrency, per_citizen)}",
                          sentences[i % len(sentences)]))

    async def worker():
        while not queue.empty():
            user, text = queue.get_nowait()
            started = time.perf_counter()
            await service.handle("bench", user, text)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]  # noqa: E731
    return {"n": len(latencies), "p50": statistics.median(latencies), "p95": q(0.95), "p99": q(0.99), "rate": len(latencies) / elapsed}


async def run(total: int, rasa_workers: int, rasa_processes: int, per_citizen: int, levels: list[int]) -> int:
    sentences = one_turn_sentences()
    with tempfile.TemporaryDirectory() as tmp:
        # As in production (REDIS_URL set): Rasa's trackers in Redis; its lock store too with several workers.
        async with bot_stack(Path(tmp), BENCH_REDIS_URL, {"SANIC_WORKERS": str(rasa_workers)}, rasa_processes) as stack:
            await init_db(stack.database_url)
            redis = make_redis(BENCH_REDIS_URL)
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
                service = ConversationService(RasaClient(stack.rasa_url, http, budget=30, token=stack.rasa_token), redis)
                await level(service, sentences, 5, 50)  # warm-up
                for concurrency in levels:
                    r = await level(service, sentences, concurrency, total, per_citizen)
                    print(f"concurrency {concurrency:>2}: {r['n']} messages  p50 {r['p50']:.0f} ms  p95 {r['p95']:.0f} ms  "
                          f"p99 {r['p99']:.0f} ms  {r['rate']:.1f} msg/s")
            await redis.aclose()
            await close_db()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels, comma-separated")
    parser.add_argument("--per-citizen", type=int, default=5, help="messages each simulated citizen sends")
    parser.add_argument("--rasa-workers", type=int, default=1, help="Rasa's SANIC_WORKERS (>1 uses Redis stores)")
    parser.add_argument("--rasa-processes", type=int, default=2,
                        help="separate Rasa servers; each conversation sticks to one (RASA_PROCESSES of make run)")
    args = parser.parse_args()
    configure_logging("WARNING")  # a log line per turn would measure the terminal
    print(f"Rasa workers: {args.rasa_workers}, Rasa processes: {args.rasa_processes}")
    return asyncio.run(run(args.messages, args.rasa_workers, args.rasa_processes, args.per_citizen,
                           [int(c) for c in args.levels.split(",")]))


if __name__ == "__main__":
    sys.exit(main())
