"""One citizen's long conversation: does a message cost the same at the 500th as at the first? (issue 16)

    .venv/bin/python bench/long_conversation_bench.py [--messages 500]

One citizen sends one-turn questions one after another through the mini-program chat (the conversation
service, Rasa and the actions), in two configurations: Rasa's in-memory tracker store (no Redis; the
app's own locks then live in fakeredis) and PostgreSQL + Redis (Redis tracker store). Prints the mean
latency of messages 1–20 and of the last 20, their ratio (target ≤ 1.2), and the floor measured in the
same run: Rasa's bare /model/parse on the same process for the same sentences.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from stack import BENCH_REDIS_URL, bot_stack, one_turn_sentences  # noqa: I001

WINDOW = 20


async def _timed_post(http: aiohttp.ClientSession, url: str, body: dict, headers: dict) -> float:
    started = time.perf_counter()
    async with http.post(url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=60)) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return time.perf_counter() - started


async def one_config(label: str, redis_url: str | None, messages: int) -> None:
    sentences = one_turn_sentences()
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_stack(Path(tmp), redis_url) as stack, aiohttp.ClientSession() as http:
            login = {"openid": f"long-conversation-{redis_url is not None:d}"}
            async with http.post(f"{stack.app_url}/api/v1/auth/dev-login", json=login) as resp:
                citizen = {"Authorization": "Bearer " + (await resp.json())["token"]}
            rasa = {"Authorization": f"Bearer {stack.rasa_token}"}
            times = [await _timed_post(http, f"{stack.app_url}/api/v1/chat/messages",
                                       {"text": sentences[i % len(sentences)]}, citizen) for i in range(messages)]
            floor = [await _timed_post(http, f"{stack.rasa_url}/model/parse?token={stack.rasa_token}",
                                       {"text": sentences[i % len(sentences)]}, rasa) for i in range(2 * WINDOW)]
    first, last = statistics.mean(times[:WINDOW]), statistics.mean(times[-WINDOW:])
    parse = statistics.mean(floor)
    print(f"{label}: messages 1–{WINDOW} mean {first * 1000:.0f} ms, {messages - WINDOW + 1}–{messages} mean "
          f"{last * 1000:.0f} ms, ratio {last / first:.2f} (target ≤ 1.2); bare /model/parse mean {parse * 1000:.0f} ms "
          f"(first window {first / parse:.1f}×, last {last / parse:.1f}× the floor)")


async def run(messages: int) -> int:
    await one_config("Rasa in-memory tracker store", None, messages)
    await one_config("PostgreSQL + Redis", BENCH_REDIS_URL, messages)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    sys.exit(asyncio.run(run(parser.parse_args().messages)))
