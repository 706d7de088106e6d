"""Shared by the bot benches: a fresh seeded PostgreSQL database with the app and Rasa on it."""
from __future__ import annotations

import sys
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bot_stack import MODEL, start_bot_stack  # noqa: E402
from tests.conftest import _create_pg_database, _drop_pg_database  # noqa: E402


@asynccontextmanager
async def bot_stack(log_dir: Path, redis_url: str | None = None, extra_env: dict[str, str] | None = None,
                    rasa_processes: int = 1):
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run scripts/train.sh first")
    name, url = await _create_pg_database()
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = await start_bot_stack(url, log_dir, redis_url, extra_env, rasa_processes=rasa_processes)
    try:
        yield stack
    finally:
        stack.stop()
        await _drop_pg_database(name)
