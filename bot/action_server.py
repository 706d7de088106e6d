"""rasa-sdk's ActionExecutor behind an aiohttp route: Rasa calls POST /rasa/actions."""
from __future__ import annotations

import structlog
from aiohttp import web
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

from bot.actions import all_actions
from knowledge.service import KnowledgeService
from miniprogram_api.clock import Clock
from miniprogram_api.http import json_response

log = structlog.get_logger(__name__)
EXECUTOR = web.AppKey("action_executor", ActionExecutor)


def make_executor(knowledge: KnowledgeService, clock: Clock) -> ActionExecutor:
    executor = ActionExecutor()
    for action in all_actions(knowledge, clock):
        executor.register_action(action)
    return executor


async def webhook(request: web.Request) -> web.Response:
    try:
        call = await request.json()
    except ValueError:
        return json_response({"error": "body is not JSON"}, status=400)
    # Rasa sends its domain only to the actions that read it (`send_domain` in intents/domain/core.yml:
    # selective domain, see bot/rasa_endpoints.py). rasa-sdk would answer the others 449 "missing
    # domain" and expect a retry with the domain, which Rasa 3.6 does not know to make.
    call.setdefault("domain", {})
    executor = request.app[EXECUTOR]
    try:
        result = await executor.run(call)
    except ActionExecutionRejection as exc:
        return json_response({"error": exc.message, "action_name": exc.action_name}, status=400)
    except ActionNotFoundException as exc:
        log.error("action_not_found", action=exc.action_name)
        return json_response({"error": exc.message, "action_name": exc.action_name}, status=404)
    except ActionMissingDomainException as exc:
        return json_response({"error": exc.message, "action_name": exc.action_name}, status=449)
    return json_response(result.model_dump() if result else None)


def setup(app: web.Application, knowledge: KnowledgeService, clock: Clock) -> None:
    app[EXECUTOR] = make_executor(knowledge, clock)
    app.router.add_post("/rasa/actions", webhook)
    app.router.add_post("/rasa/actions/webhook", webhook)
