#!/usr/bin/env bash
# Fails early, with what to do, when the PostgreSQL or Redis the tests need is not answering.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
import asyncio, os, sys
import asyncpg, redis.asyncio as aioredis

PG = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

async def main() -> int:
    bad = 0
    try:
        conn = await asyncio.wait_for(asyncpg.connect(PG.replace("postgres://", "postgresql://", 1)), 5)
        await conn.close()
    except Exception as exc:
        print(f"error: PostgreSQL at {PG} is not answering ({exc}); start it or set TEST_POSTGRES_URL", file=sys.stderr)
        bad = 1
    try:
        client = aioredis.from_url(REDIS, socket_connect_timeout=3)
        await client.ping()
        await client.aclose()
    except Exception as exc:
        print(f"error: Redis at {REDIS} is not answering ({exc}); start it or set TEST_REDIS_URL", file=sys.stderr)
        bad = 1
    return bad

sys.exit(asyncio.run(main()))
PY
