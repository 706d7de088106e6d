"""The aiohttp application factory."""
from __future__ import annotations

import aiohttp
from aiohttp import web

from knowledge.service import KnowledgeService
from miniprogram_api.config import Settings
from miniprogram_api.db import close_db, init_db
from miniprogram_api.errors import error_middleware
from miniprogram_api.keys import HTTP, KNOWLEDGE, REDIS, SETTINGS
from miniprogram_api.redis_client import make_redis
from miniprogram_api.routes import health, knowledge

MAX_BODY = 1024 * 1024


def create_app(settings: Settings, *, manage_db: bool = True) -> web.Application:
    """`manage_db=False` when the caller (a test, the CLI) has initialised tortoise already."""
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[KNOWLEDGE] = KnowledgeService()
    app.add_routes(health.routes)
    app.add_routes(knowledge.routes)

    async def lifecycle(app: web.Application):
        if manage_db:
            await init_db(settings.database_url)
        app[REDIS] = make_redis(settings.redis_url)
        app[HTTP] = aiohttp.ClientSession()
        yield
        await app[HTTP].close()
        await app[REDIS].aclose()
        if manage_db:
            await close_db()

    app.cleanup_ctx.append(lifecycle)
    return app
