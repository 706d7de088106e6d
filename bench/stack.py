"""Shared by the bot benches: a fresh seeded PostgreSQL database with the app and Rasa on it."""
from __future__ import annotations

import sys
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bot_stack import MODEL, start_bot_stack  # noqa: E402
from tests.conftest import _create_pg_database, _drop_pg_database  # noqa: E402

BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"  # the benches' own Redis database (the tests use 15)

# Sentences that open a multi-turn dialogue (booking, cancelling, progress, a person, a complaint) would
# make a simulated citizen's later messages answers to that form, or hand them to an agent (the bot
# then stays silent); the speed benches send one-turn questions only.
OPENING_INTENTS = ("choose", "affirm", "deny", "book_appointment", "cancel_appointment", "query_progress",
                   "request_human", "complain")


def one_turn_sentences() -> list[str]:
    import yaml

    cases = yaml.safe_load((ROOT / "bench" / "data" / "nlu_test.yml").read_text(encoding="utf-8"))["tests"]
    return [c["text"] for c in cases if not c["intent"].startswith(OPENING_INTENTS)]


def citizen_of(i: int, total: int, concurrency: int, per_citizen: int) -> int:
    """Message i's simulated citizen: each asks about `per_citizen` questions, spread over the run (Rasa's
    work per message grows with the conversation), and at least four citizens per concurrent sender."""
    return i % max(total // per_citizen, concurrency * 4)


async def _fresh_redis(redis_url: str) -> None:
    """Empties the bench's Redis database: each run starts on a fresh PostgreSQL database whose citizens
    get the same ids as the last run's, so trackers left in Redis would make every run continue the
    conversations of the runs before it (longer each time, and slower: the figures drifted upwards)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@asynccontextmanager
async def bot_stack(log_dir: Path, redis_url: str | None = None, extra_env: dict[str, str] | None = None,
                    rasa_processes: int = 1):
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run scripts/train.sh first")
    if redis_url == BENCH_REDIS_URL:  # never the tests' database, which a suite may be using
        await _fresh_redis(redis_url)
    name, url = await _create_pg_database()
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = await start_bot_stack(url, log_dir, redis_url, extra_env, rasa_processes=rasa_processes)
    try:
        yield stack
    finally:
        stack.stop()
        await _drop_pg_database(name)
