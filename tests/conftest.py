"""Test wiring: database-backed tests run on the real PostgreSQL and Redis. Where the backend matters
(migrations, locking, counters, SQL the ORM writes differently, Lua and locks in Redis) a module or
test is marked `both_databases` / `both_redis` and runs on the embedded SQLite default / the
in-process Redis stand-in as well; elsewhere a second backend repeats the same Python for nothing."""
from __future__ import annotations

import os
import shutil
import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from tortoise import Tortoise

from miniprogram_api.db import init_db, migrate_database

ROOT = Path(__file__).resolve().parent.parent
KB_PATH = ROOT / "knowledge" / "data"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
API_NOW = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# pytest-xdist (`make test` runs two workers): each worker flushes a Redis database of its own (the
# first the one above, the next ones below 13 and 14, which the schema tests and the benches use).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
if _WORKER:
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{int(_db) - 2 - _WORKER}"

# Tests sharing a Rasa server or a whole stack run in one worker, the longest group first, so the other
# worker takes the many short tests meanwhile. (xdist's own `loadgroup` does not group under pytest 9:
# it renames nodeids through an attribute pytest 9 no longer reads; this scheduler groups by file.)
STACK_GROUPS = {"test_model_lifecycle.py": "lifecycle", "test_failover.py": "lifecycle",
                "test_worker_failover.py": "workers", "test_wechat_bot.py": "wechat_stack",
                "test_conversations.py": "wechat_stack",
                "test_bot.py": "bot_stack", "test_bot_services.py": "bot_stack", "test_handoff_flow.py": "bot_stack",
                "test_console_page.py": "bot_stack", "test_curation_page.py": "bot_stack", "test_openapi.py": "openapi"}
GROUP_ORDER = ("lifecycle", "wechat_stack", "bot_stack", "workers", "openapi")


BACKEND_MARKERS = (("database_url", "both_databases", ["postgres", "sqlite"]),
                   ("redis_url", "both_redis", ["redis", "in-process"]))


def pytest_configure(config):
    config.addinivalue_line("markers", "both_databases: run on SQLite as well as PostgreSQL (the backend matters)")
    config.addinivalue_line("markers", "both_redis: run on the in-process Redis stand-in as well as Redis")


def _group(nodeid: str) -> str | None:
    return STACK_GROUPS.get(nodeid.split("::", 1)[0].rsplit("/", 1)[-1])


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        group = _group(item.nodeid)
        return GROUP_ORDER.index(group) if group else len(GROUP_ORDER)

    items.sort(key=rank)  # stable: within a rank, the usual order


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByStack(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid) or nodeid  # a test of no group is a unit of its own

    return ByStack(config, log)


def pytest_generate_tests(metafunc):
    chosen = {name.strip() for m in metafunc.definition.iter_markers("parametrize")
              for name in (m.args[0].split(",") if isinstance(m.args[0], str) else m.args[0])}
    for fixture, marker, backends in BACKEND_MARKERS:
        if fixture in metafunc.fixturenames and fixture not in chosen and metafunc.definition.get_closest_marker(marker):
            metafunc.parametrize(fixture, backends, indirect=True)


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


async def _create_pg_database(template: str | None = None) -> tuple[str, str]:
    name = f"govhall_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return name, _pg_url(name)


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# Migrating and importing the catalogue took 3-5 s a test; each backend's migrated (and seeded)
# database is built once a session, by the real migrations and import, and copied for each test
# (PostgreSQL's CREATE DATABASE ... TEMPLATE, a file copy for SQLite).
_TEMPLATES: dict[tuple[str, bool], str] = {}


async def _use_database(url: str, migrate: bool = False) -> None:
    """Points tortoise at `url`. Tortoise caches each model's INSERT statement by connection name for
    the life of the process, and the tests give one name ("default") to both backends: a statement
    cached on SQLite is a syntax error on PostgreSQL. So the cache is emptied on every switch."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()
    if migrate:
        await migrate_database(url)
    await init_db(url)


async def _template(backend: str, seeded: bool, tmp_dir: Path) -> str:
    if (backend, seeded) not in _TEMPLATES:
        if backend == "postgres":
            name, url = await _create_pg_database()
        else:
            name = str(tmp_dir / f"template-{'seeded' if seeded else 'empty'}.sqlite3")
            url = f"sqlite://{name}"
        await _use_database(url, migrate=True)
        try:
            if seeded:
                from knowledge.store import import_path

                await import_path(KB_PATH)
        finally:
            await Tortoise.close_connections()
        _TEMPLATES[(backend, seeded)] = name
    return _TEMPLATES[(backend, seeded)]


def pytest_sessionfinish(session):
    import asyncio

    async def drop_templates():
        for (backend, _), name in _TEMPLATES.items():
            if backend == "postgres":
                await _drop_pg_database(name)

    if _TEMPLATES:
        asyncio.run(drop_templates())


@pytest.fixture
async def database_url(request, tmp_path, tmp_path_factory):
    """A fresh, migrated PostgreSQL database (and SQLite too for `both_databases` tests), holding the
    demo catalogue when the test asks for `seeded_db`; tortoise is initialised on it for the test."""
    backend = getattr(request, "param", "postgres")
    template = await _template(backend, "seeded_db" in request.fixturenames, tmp_path_factory.getbasetemp())
    if backend == "postgres":
        name, url = await _create_pg_database(template)
    else:
        name, url = None, f"sqlite://{tmp_path / 'govhall.sqlite3'}"
        shutil.copyfile(template, tmp_path / "govhall.sqlite3")
    await _use_database(url)
    try:
        yield url
    finally:
        await Tortoise.close_connections()
        if name:
            await _drop_pg_database(name)


@pytest.fixture
async def seeded_db(database_url):
    """The demo catalogue (knowledge/data) imported: `database_url` copies it from the seeded template."""
    return database_url


@pytest.fixture
def redis_url(request):
    return REDIS_URL if getattr(request, "param", "redis") == "redis" else None


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


@pytest.fixture(scope="session")  # not module: an xdist worker may end a module early
async def lifecycle_stack(tmp_path_factory):
    """Two Rasa processes with trackers in Redis, as in production: a deploy loads one process at a time
    while the other answers, and a conversation survives the loss of its process (tests/test_model_lifecycle.py,
    tests/test_failover.py)."""
    from tests.bot_stack import MODEL, ROOT, start_bot_stack

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run scripts/train.sh (make test does)")
    import redis.asyncio as aioredis

    async with aioredis.from_url(REDIS_URL) as r:
        await r.flushdb()
    name, url = await _create_pg_database()
    # Trackers in Redis, as in production: a deploy builds a new Rasa agent, and conversations keep their state.
    stack = await start_bot_stack(url, tmp_path_factory.mktemp("lifecycle"), redis_url=REDIS_URL, extra_env={
        "CURATION_TRAIN_CONFIG": str(ROOT / "tests" / "data" / "tiny_config.yml"), "CURATION_MAX_DROP": "0.02",
        # A short turn lock, so that a slow model load outlasts it many times over (the slow-load test).
        "TURN_LOCK_SECONDS": "3"}, rasa_processes=2)
    try:
        yield stack
    finally:
        stack.stop()
        await _drop_pg_database(name)



@asynccontextmanager
async def official_account_stack(log_dir: Path, redis_url: str | None = None, extra_env: dict | None = None):
    """The app with the official account configured (against a fake WeChat) and a real Rasa server, on a
    database of its own: yields (stack, fake WeChat)."""
    from tests.bot_stack import MODEL, start_bot_stack
    from tests.fake_wechat import FakeWeChat
    from tests.official_account import WECHAT_ENV
    from tests.wechat_support import APP_ID, APP_SECRET

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run scripts/train.sh (make test does)")
    fake = await FakeWeChat(app_secrets={APP_ID: APP_SECRET}).start()
    name, url = await _create_pg_database()
    try:
        stack = await start_bot_stack(url, log_dir, redis_url=redis_url,
                                      extra_env={**WECHAT_ENV, "WECHAT_API_BASE": fake.url, **(extra_env or {})})
        try:
            yield stack, fake
        finally:
            stack.stop()
    finally:
        await fake.close()
        await _drop_pg_database(name)


@pytest.fixture(scope="session")  # not module: an xdist worker may end a module early
async def wechat_stack(tmp_path_factory):
    """tests/test_wechat_bot.py and the scripted conversations of tests/test_conversations.py share it."""
    async with official_account_stack(tmp_path_factory.mktemp("wechat-stack")) as pair:
        yield pair


@pytest.fixture
async def stack_database(bot_stack):
    """Tortoise on the bot stack's own database, for tests that talk to its Rasa directly: the actions
    Rasa calls accept only senders whose conversation the app knows, so it must be stored there."""
    await _use_database(bot_stack.database_url)
    try:
        yield bot_stack.database_url
    finally:
        await Tortoise.close_connections()


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
    """The app with the mini-program and official account configured against the
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
