"""Speed of the official-account webhook end to end: signed XML in, XML out, through the app (a
subprocess, as deployed), the conversation service, the real Rasa and the actions. Many simulated
citizens (distinct openids) post at concurrency 1, 10 and 50; WeChat's API is the in-process fake,
which receives the customer-service messages of replies that missed the budget.

    .venv/bin/python bench/wechat_bench.py [--messages 150] [--aes] [--budget 4.0] [--rasa-processes 2]

Prints p50/p95/p99/max latency, messages per second, and how many replies missed the budget
("success" now, the answer later as a customer-service message). Rasa runs as `make run` runs it:
two processes unless --rasa-processes says otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from stack import BENCH_REDIS_URL, bot_stack, citizen_of, one_turn_sentences  # noqa: I001

from bot.wechat.simulate import Signer, post, text_xml  # noqa: E402
from tests.fake_wechat import FakeWeChat  # noqa: E402

TOKEN, APP_ID, APP_SECRET = "bench-token", "wx-bench", "bench-secret"
AES_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")
CS_PATH = "/cgi-bin/message/custom/send"


async def level(http: aiohttp.ClientSession, url: str, signer: Signer, sentences: list[str], concurrency: int,
                total: int, msg_ids, per_citizen: int = 5) -> dict:
    latencies: list[float] = []
    late = errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    run = secrets.token_hex(3)
    for i in range(total):
        queue.put_nowait((f"o-bench-{run}-{concurrency}-{citizen_of(i, total, concurrency, per_citizen)}",
                          sentences[i % len(sentences)]))

    async def worker():
        nonlocal late, errors
        while not queue.empty():
            openid, text = queue.get_nowait()
            started = time.perf_counter()
            try:
                status, body = await post(http, url, signer, text_xml(openid, text, next(msg_ids)), openid)
                reply = signer.open_reply(body) if status == 200 else None
            except Exception:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors += 1
            elif reply is None:
                late += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]  # noqa: E731
    return {"n": len(latencies), "p50": statistics.median(latencies), "p95": q(0.95), "p99": q(0.99),
            "max": latencies[-1], "rate": len(latencies) / elapsed, "late": late, "errors": errors}


async def run(total: int, aes: bool, budget: float, rasa_processes: int) -> int:
    sentences = one_turn_sentences()
    fake = await FakeWeChat(app_secrets={APP_ID: APP_SECRET}).start()
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_AES_KEY": AES_KEY,
           "WECHAT_API_BASE": fake.url, "WECHAT_REPLY_BUDGET": str(budget)}
    signer = Signer(TOKEN, APP_ID, AES_KEY if aes else "")
    msg_ids = itertools.count(int(time.time()) * 1000)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with bot_stack(Path(tmp), BENCH_REDIS_URL, env, rasa_processes) as stack:  # Redis as in production
                url = stack.app_url + "/wechat"
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
                    await level(http, url, signer, sentences, 5, 30, msg_ids)  # warm-up
                    late_total = 0
                    for concurrency in (1, 10, 50):
                        r = await level(http, url, signer, sentences, concurrency, total, msg_ids)
                        late_total += r["late"]
                        print(f"concurrency {concurrency:>2}: {r['n']} messages  p50 {r['p50']:.0f} ms  "
                              f"p95 {r['p95']:.0f} ms  p99 {r['p99']:.0f} ms  max {r['max']:.0f} ms  {r['rate']:.1f} msg/s  "
                              f"later than the {budget:g} s budget: {r['late']}  errors: {r['errors']}", flush=True)
                    # Replies that missed the budget go out as customer-service messages; give them a moment.
                    deadline = time.monotonic() + 15
                    while len(fake.sent(CS_PATH)) < late_total and time.monotonic() < deadline:
                        await asyncio.sleep(0.2)
                    print(f"customer-service messages for late replies: {len(fake.sent(CS_PATH))} of {late_total}")
    finally:
        await fake.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=150, help="messages per concurrency level")
    parser.add_argument("--aes", action="store_true", help="safe mode: every message and reply encrypted")
    parser.add_argument("--budget", type=float, default=4.0, help="the app's WECHAT_REPLY_BUDGET")
    parser.add_argument("--rasa-processes", type=int, default=2, help="Rasa servers (RASA_PROCESSES of make run)")
    args = parser.parse_args()
    print(f"mode: {'safe (AES)' if args.aes else 'plaintext'}; budget {args.budget:g} s; "
          f"Rasa processes: {args.rasa_processes}")
    return asyncio.run(run(args.messages, args.aes, args.budget, args.rasa_processes))


if __name__ == "__main__":
    sys.exit(main())
