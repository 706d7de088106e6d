"""Database wiring: tortoise config for a URL, migrations, connection lifecycle."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate

from miniprogram_api.config import Settings

MODEL_MODULES = ["knowledge.models", "miniprogram_api.models"]  # the package imports every feature's module
MIGRATIONS_MODULE = "miniprogram_api.migrations"


POOL_SIZE = 20


async def _keep_session(_connection) -> None:
    """asyncpg runs RESET ALL, UNLISTEN *, CLOSE ALL … on every pool release by default, a round trip
    per query here; the app sets no session state (no SET, LISTEN or advisory locks), so skip it."""


def _connection(database_url: str) -> str | dict[str, Any]:
    if not database_url.startswith(("postgres://", "asyncpg://")):
        return database_url
    config = expand_db_url(database_url)
    config["credentials"].setdefault("maxsize", POOL_SIZE)
    config["credentials"]["reset"] = _keep_session
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }


def _ensure_sqlite_dir(database_url: str) -> None:
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite://").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)


async def migrate_database(database_url: str) -> None:
    """Apply every pending migration. The migration run leaves tortoise half-initialised (its own
    model states), so its connections are closed here; call init_db afterwards to use the models."""
    _ensure_sqlite_dir(database_url)
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def init_db(database_url: str) -> None:
    _ensure_sqlite_dir(database_url)
    await Tortoise.init(config=tortoise_config(database_url))


async def close_db() -> None:
    await Tortoise.close_connections()


# For the `tortoise` CLI (makemigrations): `tortoise -c miniprogram_api.db.TORTOISE_ORM makemigrations`
TORTOISE_ORM = tortoise_config(Settings.from_env().database_url)
