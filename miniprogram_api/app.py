"""The aiohttp application factory."""
from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bot import customer_service
from bot.conversation import ConversationService
from bot.delivery import Delivery
from bot.deployment import DeploymentService
from bot.handoff import HandoffService, HandoffSettings
from bot.handoff_tickets import TicketService
from bot.rasa_client import RasaClient
from bot.training import TrainingService
from knowledge.service import KnowledgeService
from miniprogram_api import housekeeping, metrics, openapi, security_headers
from miniprogram_api.clock import Clock
from miniprogram_api.config import Settings
from miniprogram_api.db import close_db, init_db
from miniprogram_api.http import error_middleware
from miniprogram_api.keys import (
    CLOCK,
    CONVERSATIONS,
    DELIVERY,
    DEPLOYMENT,
    HANDOFF,
    HTTP,
    KNOWLEDGE,
    NOTIFIER,
    OFFICIAL,
    RASA,
    REDIS,
    SETTINGS,
    TICKETS,
    TRAINING,
    WXA,
)
from miniprogram_api.redis_client import make_redis
from miniprogram_api.routes import (
    actions,
    applications,
    appointments,
    auth,
    chat,
    console,
    curation,
    curation_models,
    health,
    knowledge,
    nlu,
    pii,
    ratings,
    staff_session,
    stats,
    wechat,
)
from miniprogram_api.services import ratings as rating_service
from miniprogram_api.services.notify import Notifier
from miniprogram_api.wechat_api import WeChatApi

MAX_BODY = 1024 * 1024


def create_app(settings: Settings, *, manage_db: bool = True, clock: Clock | None = None,
               housekeeping_loop: bool = True) -> web.Application:
    """`manage_db=False` when the caller (a test, the CLI) has initialised tortoise already; tests pass
    their own `clock` and may turn the periodic housekeeping off to run it step by step."""
    app = web.Application(middlewares=[error_middleware, metrics.metrics_middleware], client_max_size=MAX_BODY)
    security_headers.setup(app)
    app[SETTINGS] = settings
    app[KNOWLEDGE] = KnowledgeService()
    app[CLOCK] = clock or Clock()
    app.add_routes(health.routes)
    app.add_routes(metrics.routes)
    app.add_routes(knowledge.routes)
    app.add_routes(nlu.routes)
    app.add_routes(auth.routes)
    app.add_routes(appointments.routes)
    app.add_routes(openapi.routes)
    app.add_routes(chat.routes)
    app.add_routes(console.routes)
    app.add_routes(applications.routes)
    app.add_routes(ratings.routes)
    app.add_routes(curation.routes)
    app.add_routes(curation_models.routes)
    app.add_routes(staff_session.routes)
    app.add_routes(pii.routes)
    app.add_routes(stats.routes)
    actions.setup(app, app[KNOWLEDGE], app[CLOCK])

    async def lifecycle(app: web.Application):
        if manage_db:
            await init_db(settings.database_url)
        app[REDIS] = make_redis(settings.redis_url)
        app[HTTP] = aiohttp.ClientSession()
        app[RASA] = RasaClient(settings.rasa_url, app[HTTP], budget=settings.rasa_timeout, redis=app[REDIS],
                                token=settings.rasa_token)
        app[WXA] = WeChatApi(settings.wechat_api_base, settings.wxa_app_id, settings.wxa_app_secret, app[HTTP], app[REDIS])
        app[OFFICIAL] = WeChatApi(settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret,
                                  app[HTTP], app[REDIS])
        app[NOTIFIER] = Notifier(app[WXA], settings.wxa_templates)
        official, redis = app[OFFICIAL], app[REDIS]
        app[DELIVERY] = Delivery(redis, lambda openid, text: customer_service.send_text(official, redis, openid, text))
        knowledge, clock = app[KNOWLEDGE], app[CLOCK]

        async def rate_handoff(conversation, handoff_id: int, level: int, comment: str = "") -> None:
            await rating_service.rate_handoff_in_chat(await knowledge.snapshot(), conversation, handoff_id, level,
                                                      clock.now(), comment)

        app[TICKETS] = TicketService(app[DELIVERY], clock)
        app[HANDOFF] = HandoffService(app[DELIVERY], knowledge, clock, HandoffSettings(
            settings.agent_hours, settings.agent_idle_minutes, settings.agent_claim_minutes), app[TICKETS],
            rate=rate_handoff)
        app[CONVERSATIONS] = ConversationService(app[RASA], app[REDIS], app[HANDOFF],
                                                 lock_seconds=settings.turn_lock_seconds)
        app[TRAINING] = TrainingService(settings, app[RASA])
        app[DEPLOYMENT] = DeploymentService(settings, app[RASA], app[REDIS])
        chores = asyncio.create_task(housekeeping.loop(app)) if housekeeping_loop else None
        yield
        if chores:
            chores.cancel()
            await asyncio.gather(chores, return_exceptions=True)
        await app[TRAINING].close()
        await knowledge.close()
        await app[HTTP].close()
        await app[REDIS].aclose()
        if manage_db:
            await close_db()

    app.cleanup_ctx.append(lifecycle)
    wechat.setup(app)  # after `lifecycle`: its channel needs Redis and the WeChat API
    return app
