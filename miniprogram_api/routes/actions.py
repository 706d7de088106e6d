"""rasa-sdk's ActionExecutor behind an aiohttp route: Rasa calls POST /rasa/actions.

Only Rasa may call it: every call carries ACTIONS_TOKEN (Rasa's endpoints file sends it as a bearer
header, bot/rasa_endpoints.py), and the sender must be a conversation this app started. A forged call
could otherwise book, cancel or read another citizen's appointments by naming their sender id."""
from __future__ import annotations

import hmac
from collections import OrderedDict

import structlog
from aiohttp import web
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

from bot.action_set import all_actions
from bot.conversation import conversation_exists
from bot.turn_end import listen_after
from knowledge.service import KnowledgeService
from miniprogram_api.auth import bearer_token
from miniprogram_api.clock import Clock
from miniprogram_api.http import json_response
from miniprogram_api.keys import REDIS, SETTINGS

log = structlog.get_logger(__name__)
EXECUTOR = web.AppKey("action_executor", ActionExecutor)
KNOWN_SENDERS = web.AppKey("known_senders", OrderedDict)
KNOWN_SENDERS_KEPT = 10_000  # conversations are never deleted, so a sender once known stays known
TRY_SENDER_KEY = "govhall:try-sender:"  # "try a sentence" senders live in Redis for a few minutes


def _authorised(request: web.Request) -> bool:
    expected = request.app[SETTINGS].actions_token
    return bool(expected) and hmac.compare_digest(bearer_token(request).encode(), expected.encode())


async def _known_sender(request: web.Request, sender: object) -> bool:
    if not isinstance(sender, str) or ":" not in sender:
        return False
    known = request.app[KNOWN_SENDERS]
    if sender in known:
        known.move_to_end(sender)
        return True
    channel, _, user_id = sender.partition(":")
    if channel == "try":
        found = bool(await request.app[REDIS].exists(TRY_SENDER_KEY + user_id))
    else:
        found = await conversation_exists(channel, user_id)
        if found:
            known[sender] = True
            while len(known) > KNOWN_SENDERS_KEPT:
                known.popitem(last=False)
    return found


def make_executor(knowledge: KnowledgeService, clock: Clock) -> ActionExecutor:
    executor = ActionExecutor()
    for action in all_actions(knowledge, clock):
        executor.register_action(action)
    return executor


async def webhook(request: web.Request) -> web.Response:
    if not _authorised(request):
        log.warning("action_call_refused", reason="token", remote=request.remote)
        return json_response({"error": "动作接口只接受机器人服务的调用"}, status=401)
    try:
        call = await request.json()
    except (ValueError, RecursionError):
        return json_response({"error": "body is not JSON"}, status=400)
    if not isinstance(call, dict):
        return json_response({"error": "body is not a JSON object"}, status=400)
    if not await _known_sender(request, call.get("sender_id")):
        log.warning("action_call_refused", reason="unknown_sender", remote=request.remote)
        return json_response({"error": "未知的会话"}, status=403)
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
    body = result.model_dump() if result else None
    if body is not None:
        body["events"] = listen_after(call, body.get("events") or [])
    parsed = ((call.get("tracker") or {}).get("latest_message") or {}).get("intent") or {}
    if body is not None and parsed.get("name"):
        # What NLU made of the message, for the transcript (the console, the statistics); the
        # conversation service takes it out of the replies before any channel sees it.
        body.setdefault("responses", []).append({"custom": {"event": "understood", "intent": parsed["name"],
                                                            "confidence": parsed.get("confidence")}})
    return json_response(body)


def setup(app: web.Application, knowledge: KnowledgeService, clock: Clock) -> None:
    app[EXECUTOR] = make_executor(knowledge, clock)
    app[KNOWN_SENDERS] = OrderedDict()
    app.router.add_post("/rasa/actions", webhook)
    app.router.add_post("/rasa/actions/webhook", webhook)
