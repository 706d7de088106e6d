"""Speed of the bot path end to end, next to its floor measured in the same run.

    .venv/bin/python bench/bot_speed_bench.py [--messages 600] [--levels 1,10] [--rasa-processes 2]
                                              [--configs embedded,redis]

A message goes in through the mini-program chat API (POST /api/v1/chat/messages: login, dedupe, the
citizen's turn lock, transcripts, Rasa's REST channel, the actions hosted by the app, the knowledge
base) and its replies come back. The floor is Rasa's bare NLU, POST /model/parse, on the same Rasa
processes, for the same sentences, at the same concurrency. Each simulated citizen asks about
`--per-citizen` one-turn questions spread over the run.

Two configurations: "embedded" (no REDIS_URL: the in-process Redis stand-in and Rasa's in-memory tracker
store) and "redis" (trackers and locks in Redis); the app's database is PostgreSQL in both.

Prints, per level: p50/p95/p99 and messages per second end to end and for the floor, and the two
ratios the scale issue sets: throughput end-to-end / floor (target >= 0.7 at concurrency 10) and
p95 end-to-end / floor p95 (target <= 1.5). Absolute times vary 3-4x between machines; the ratios do not.

And where the CPU goes (read from /proc, so Linux only): milliseconds of CPU per message of the app, of
the Rasa processes, of the PostgreSQL and Redis servers and of the bench itself, end to end and for
the floor. On a machine whose cores run all of them, Rasa's CPU per message end to end over its CPU
per parse bounds the throughput ratio from above, whatever the app does.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from stack import BENCH_REDIS_URL, bot_stack, citizen_of, one_turn_sentences  # noqa: I001

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: str) -> tuple[int, float]:
    """(parent pid, CPU seconds) of one process; (-1, 0) when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1, 0.0
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _servers(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except OSError:
        return False
    return cmd.startswith(b"postgres") or b"redis-server" in cmd


def cpu_seconds(roots: list[tuple[str, int]]) -> dict[str, float]:
    """CPU seconds so far of each named process with its descendants, of the database servers and of this bench."""
    procs = {pid: _proc_cpu(pid) for pid in os.listdir("/proc") if pid.isdigit()}
    children: dict[int, list[str]] = {}
    for pid, (parent, _) in procs.items():
        children.setdefault(parent, []).append(pid)
    totals: dict[str, float] = {}
    for name, root in roots:
        todo, total = [str(root)], 0.0
        while todo:
            pid = todo.pop()
            total += procs.get(pid, (0, 0.0))[1]
            todo += children.get(int(pid), [])
        totals[name] = totals.get(name, 0.0) + total
    totals["PostgreSQL+Redis"] = sum(cpu for pid, (_, cpu) in procs.items() if _servers(pid))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    totals["bench"] = usage.ru_utime + usage.ru_stime
    return totals


async def measured(stack, run) -> tuple[dict, dict[str, float]]:
    """`run`'s figures and the CPU milliseconds per message each part spent on it."""
    roots = [("app" if i == 0 else "Rasa", p.pid) for i, p in enumerate(stack.processes)]
    before = cpu_seconds(roots)
    result = await run()
    after = cpu_seconds(roots)
    return result, {k: (after[k] - before[k]) * 1000 / result["n"] for k in after}


def _summary(latencies: list[float], elapsed: float) -> dict:
    latencies = sorted(latencies)
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]  # noqa: E731
    return {"n": len(latencies), "p50": statistics.median(latencies), "p95": q(0.95), "p99": q(0.99),
            "rate": len(latencies) / elapsed}


async def _drive(jobs: list, concurrency: int, send) -> dict:
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []

    async def worker():
        while not queue.empty():
            job = queue.get_nowait()
            started = time.perf_counter()
            await send(job)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _summary(latencies, time.perf_counter() - started)


async def _expect_ok(resp: aiohttp.ClientResponse) -> None:
    body = await resp.read()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {body[:300]!r}")


async def end_to_end(http, stack, sentences: list[str], concurrency: int, total: int, per_citizen: int) -> dict:
    run_id = uuid.uuid4().hex[:8]  # every run starts new conversations
    citizens: dict[int, dict] = {}
    jobs = []
    for i in range(total):
        n = citizen_of(i, total, concurrency, per_citizen)
        if n not in citizens:
            async with http.post(f"{stack.app_url}/api/v1/auth/dev-login", json={"openid": f"bench-{run_id}-{n}"}) as r:
                citizens[n] = {"Authorization": "Bearer " + (await r.json())["token"]}
        jobs.append((citizens[n], sentences[i % len(sentences)]))

    async def send(job):
        headers, text = job
        async with http.post(f"{stack.app_url}/api/v1/chat/messages", json={"text": text}, headers=headers) as r:
            await _expect_ok(r)

    return await _drive(jobs, concurrency, send)


async def floor(http, stack, sentences: list[str], concurrency: int, total: int) -> dict:
    urls = stack.rasa_url.split(",")
    jobs = [(urls[i % len(urls)], sentences[i % len(sentences)]) for i in range(total)]

    async def send(job):
        url, text = job
        async with http.post(f"{url}/model/parse", params={"token": stack.rasa_token}, json={"text": text}) as r:
            await _expect_ok(r)

    return await _drive(jobs, concurrency, send)


def _line(label: str, r: dict) -> str:
    return (f"{label:<11} {r['n']:>5} msgs  p50 {r['p50']:6.0f} ms  p95 {r['p95']:6.0f} ms  p99 {r['p99']:6.0f} ms  "
            f"{r['rate']:6.1f} msg/s")


async def one_config(label: str, redis_url: str | None, total: int, rasa_processes: int, per_citizen: int,
                     levels: list[int]) -> None:
    sentences = one_turn_sentences()
    print(f"\n== {label}: {rasa_processes} Rasa processes ==")
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_stack(Path(tmp), redis_url, None, rasa_processes) as stack, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200),
                                      timeout=aiohttp.ClientTimeout(total=120)) as http:
            await end_to_end(http, stack, sentences, 5, 50, per_citizen)  # warm-up: both paths
            await floor(http, stack, sentences, 5, 50)
            for concurrency in levels:
                e2e, e2e_cpu = await measured(stack, lambda c=concurrency: end_to_end(http, stack, sentences, c, total,
                                                                                       per_citizen))
                base, base_cpu = await measured(stack, lambda c=concurrency: floor(http, stack, sentences, c, total))
                print(f"concurrency {concurrency}:")
                print("  " + _line("end to end", e2e))
                print("  " + _line("floor", base))
                print(f"  throughput ratio {e2e['rate'] / base['rate']:.2f} (target >= 0.7)   "
                      f"p95 ratio {e2e['p95'] / base['p95']:.2f} (target <= 1.5)   "
                      f"per-message cost {base['rate'] / e2e['rate']:.1f}x the floor's")
                print("  CPU ms per message  end to end: " + "  ".join(f"{k} {v:.1f}" for k, v in e2e_cpu.items())
                      + f"   floor: Rasa {base_cpu['Rasa']:.1f}  bench {base_cpu['bench']:.1f}")
                parse = base_cpu["Rasa"]
                print("  the same in bare parses (comparable across machines): "
                      + "  ".join(f"{k} {v / parse:.2f}" for k, v in e2e_cpu.items()))
                print(f"  Rasa's CPU per message end to end / per parse: {e2e_cpu['Rasa'] / parse:.2f}"
                      f"  -> throughput ratio at most {parse / e2e_cpu['Rasa']:.2f} even if the app cost nothing")


async def run(args) -> int:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    print(f"{dt.date.today()}  {os.cpu_count()} cores  {cpu}")
    configs = {"embedded": ("embedded default (no Redis: in-process stand-in, Rasa in-memory trackers)", None),
               "redis": ("PostgreSQL + Redis (trackers and locks in Redis)", BENCH_REDIS_URL)}
    for name in args.configs.split(","):
        label, redis_url = configs[name]
        await one_config(label, redis_url, args.messages, args.rasa_processes, args.per_citizen,
                         [int(c) for c in args.levels.split(",")])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--levels", default="1,10", help="concurrency levels, comma-separated")
    parser.add_argument("--per-citizen", type=int, default=5, help="messages each simulated citizen sends")
    parser.add_argument("--rasa-processes", type=int, default=2, help="separate Rasa servers (RASA_PROCESSES of make run)")
    parser.add_argument("--configs", default="embedded,redis")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
