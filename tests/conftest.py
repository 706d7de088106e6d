"""Test wiring: every database-backed test runs on the real PostgreSQL and on the embedded SQLite
default; Redis likewise on the real server and on the in-process stand-in."""
from __future__ import annotations

import os
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise

from miniprogram_api.db import init_db, migrate_database

ROOT = Path(__file__).resolve().parent.parent
KB_PATH = ROOT / "knowledge" / "data"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
API_NOW = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


async def _create_pg_database() -> tuple[str, str]:
    name = f"govhall_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, _pg_url(name)


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["postgres", "sqlite"])
async def database_url(request, tmp_path):
    """A fresh, migrated database of each backend; tortoise is initialised on it for the test."""
    if request.param == "postgres":
        name, url = await _create_pg_database()
    else:
        name, url = None, f"sqlite://{tmp_path / 'govhall.sqlite3'}"
    await migrate_database(url)
    await init_db(url)
    try:
        yield url
    finally:
        await Tortoise.close_connections()
        if name:
            await _drop_pg_database(name)


@pytest.fixture
async def seeded_db(database_url):
    from knowledge.store import import_path

    await import_path(KB_PATH)
    return database_url


@pytest.fixture(params=["redis", "in-process"])
def redis_url(request):
    return REDIS_URL if request.param == "redis" else None


@pytest.fixture(scope="session")
async def bot_stack(tmp_path_factory):
    """The app and a real Rasa server on the trained model (scripts/train.sh; `make test` trains first)."""
    from tests.bot_stack import MODEL, start_bot_stack

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run scripts/train.sh (make test does)")
    name, url = await _create_pg_database()
    # Agents are always on duty in the stack, so the hand-off flow does not depend on when the tests run.
    stack = await start_bot_stack(url, tmp_path_factory.mktemp("bot-stack"), extra_env={"AGENT_HOURS": "24x7"})
    try:
        yield stack
    finally:
        stack.stop()
        await _drop_pg_database(name)


@pytest.fixture
async def fake_wechat():
    from tests.fake_wechat import FakeWeChat

    fake = await FakeWeChat(app_secrets={"wx-mini-app": "mini-secret", "wx-official": "oa-secret"}).start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def api(seeded_db, redis_url, fake_wechat, tmp_path):
    """The app on both backends with the mini-program and official account configured against the
    fake WeChat; Rasa is pointed at a closed port (tests that need the bot use `bot_stack`)."""
    from aiohttp.test_utils import TestClient, TestServer

    from miniprogram_api.app import create_app
    from miniprogram_api.clock import Clock
    from miniprogram_api.config import Settings

    settings = Settings(database_url=seeded_db, redis_url=redis_url, rasa_url="http://127.0.0.1:9",
                        wechat_api_base=fake_wechat.url, wxa_app_id="wx-mini-app", wxa_app_secret="mini-secret",
                        wechat_app_id="wx-official", wechat_app_secret="oa-secret", wechat_token="govhall-token",
                        faq_export_path=tmp_path / "faq.yml")
    if redis_url:
        import redis.asyncio as aioredis

        async with aioredis.from_url(redis_url) as r:
            await r.flushdb()
    # Time stands still at API_NOW (a Tuesday morning) unless a test moves `client.app[CLOCK]`;
    # the periodic housekeeping is run explicitly by the tests that need it.
    app = create_app(settings, manage_db=False, clock=Clock(API_NOW), housekeeping_loop=False)
    async with TestClient(TestServer(app)) as client:
        yield client
