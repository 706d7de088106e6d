"""The agent console: the hand-off queue, claiming, the transcript with what the bot understood,
replies, quick replies from the FAQ, knowledge-base materials, transfer, close, tickets — and a
WebSocket that forwards the live announcements every app worker publishes on Redis."""
from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
import yaml
from aiohttp import WSMsgType, web
from pydantic import BaseModel, Field

from bot import faq, replies
from bot.console_events import CONSOLE_CHANNEL
from bot.conversation import conversation_or_raise, sender_id, with_the_bot
from bot.delivery import reason_text
from bot.rasa_client import RasaUnavailable
from miniprogram_api.auth import AGENT, require_staff
from miniprogram_api.digits import plain_digits
from miniprogram_api.errors import Invalid, NotFound, Unauthorized
from miniprogram_api.http import json_response, parse_body
from miniprogram_api.keys import HANDOFF, KNOWLEDGE, RASA, REDIS, STAFF, TICKETS
from miniprogram_api.models.conversation import Conversation
from miniprogram_api.openapi import POSITIVE, Param, doc
from miniprogram_api.services import pii
from miniprogram_api.services import staff as staff_service
from miniprogram_api.services.catalogue import chosen_situation, item_or_raise, situation_choices
from miniprogram_api.services.staff import issue_ticket, redeem_ticket

log = structlog.get_logger(__name__)
ROOT = Path(__file__).resolve().parent.parent.parent
PAGE = Path(__file__).resolve().parent.parent / "static" / "console.html"
GENERATED_DOMAIN = ROOT / "intents" / "generated" / "domain.yml"
routes = web.RouteTableDef()


class TextBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=1, max_length=1000)


class TransferBody(BaseModel, extra="forbid"):
    agent_id: int = Field(ge=1, le=2**31 - 1)


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not plain_digits(raw) or not 0 < int(raw) < 2**31:
        raise NotFound("not_found", "没有找到这条记录")
    return int(raw)


@routes.get("/admin/console")
async def page(request: web.Request) -> web.Response:
    # The page holds no data; every call it makes carries the agent's token.
    return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")


@routes.get("/admin/console/queue")
@doc("排队中和服务中的会话", "人工客服", response="Queue", auth="staff")
@require_staff(*AGENT)
async def queue(request: web.Request) -> web.Response:
    views = await request.app[HANDOFF].queue()
    for v in views["waiting"] + views["active"]:
        pii.mask_fields(v, "last_message")
    return json_response(views)


async def _understood(request: web.Request, conversation: Conversation) -> list[dict]:
    """What the bot understood of each citizen message, from Rasa's tracker (best effort)."""
    try:
        events = await request.app[RASA].tracker_events(sender_id(conversation.channel, conversation.user_id))
    except (RasaUnavailable, Exception):  # the console works without the bot
        return []
    return [{"text": e.get("text"), "intent": (e.get("parse_data") or {}).get("intent", {}).get("name"),
             "confidence": (e.get("parse_data") or {}).get("intent", {}).get("confidence")}
            for e in events if e.get("event") == "user"]


@routes.get("/admin/console/handoffs/{id}")
@doc("会话全文（群众、机器人、客服）及机器人的理解", "人工客服", response="Transcript", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def transcript(request: web.Request) -> web.Response:
    handoff = await request.app[HANDOFF].get(_id(request))
    view = await request.app[HANDOFF].transcript(handoff)
    citizen = [m for m in view["messages"] if m["role"] == "citizen"]
    for m in citizen:  # stored with the message when an action saw it, whatever the channel
        m["confidence"] = (m.get("data") or {}).get("confidence")
    if any(m["intent"] is None for m in citizen):
        # Older rows, and messages only a plain response answered (FAQ): Rasa's tracker, matched in order.
        queue = await _understood(request, handoff.conversation)
        for m in citizen:
            while queue and queue[0]["text"] != m["text"]:
                queue.pop(0)
            if queue:
                u = queue.pop(0)
                if m["intent"] is None:
                    m["intent"], m["confidence"] = u["intent"], u["confidence"]
    for m in view["messages"]:
        pii.mask_fields(m, "text")
        data = m.get("data") or {}
        if data.get("delivered") is False:  # the page marks it, with why, under the bubble
            m["undelivered"] = reason_text(data.get("undelivered_reason"))
    return json_response(view)


@routes.post("/admin/console/handoffs/{id}/claim")
@doc("接入会话（两人同时接入只有一人成功）", "人工客服", response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def claim(request: web.Request) -> web.Response:
    handoff = await request.app[HANDOFF].claim(_id(request), request[STAFF])
    return json_response({"id": handoff.id, "status": "active", "agent": request[STAFF].name})


@routes.post("/admin/console/handoffs/{id}/messages")
@doc("回复群众（公众号受48小时/5条规则限制；送达失败时 delivered=false，reason 为原因："
     "not_configured、window_closed、limit_reached、invalid_token、wechat_error）", "人工客服", body=TextBody,
     response="Delivered", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def reply(request: web.Request) -> web.Response:
    body = await parse_body(request, TextBody)
    outcome = await request.app[HANDOFF].reply(_id(request), request[STAFF], body.text)
    return json_response({"delivered": bool(outcome), "reason": outcome.reason, **({} if outcome else {
        "message": f"消息未能送达：{outcome.reason_text}。群众3天内再发消息时，会随回复一并收到。"})})


@routes.post("/admin/console/handoffs/{id}/transfer")
@doc("转给其他客服", "人工客服", body=TransferBody, response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def transfer(request: web.Request) -> web.Response:
    body = await parse_body(request, TransferBody)
    handoff = await request.app[HANDOFF].transfer(_id(request), request[STAFF], body.agent_id)
    return json_response({"id": handoff.id, "agent_id": handoff.agent_id})


@routes.post("/admin/console/handoffs/{id}/close")
@doc("结束人工服务（交回机器人，并请群众评价）", "人工客服", response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def close(request: web.Request) -> web.Response:
    handoff = await request.app[HANDOFF].close(_id(request), "agent", request[STAFF])
    return json_response({"id": handoff.id, "status": "closed"})


@routes.get("/admin/console/conversations")
@doc("最近与机器人的对话（客服可主动接入）", "人工客服", response="Object", auth="staff")
@require_staff(*AGENT)
async def recent(request: web.Request) -> web.Response:
    rows = await with_the_bot(30)
    return json_response({"conversations": [{"id": c.id, "channel": c.channel, "updated_at": c.updated_at.isoformat()}
                                            for c in rows]})


@routes.post("/admin/console/conversations/{id}/join")
@doc("主动接入一个与机器人的对话", "人工客服", response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def join(request: web.Request) -> web.Response:
    conversation = await conversation_or_raise(_id(request))
    service = request.app[HANDOFF]
    handoff = await service.join(conversation, request[STAFF])
    try:
        await request.app[RASA].reset(sender_id(conversation.channel, conversation.user_id))
    except RasaUnavailable as exc:
        # The agent has the conversation either way; only a half-finished question of the bot's may
        # come back after the agent closes.
        log.warning("rasa_reset_failed", error=str(exc))
    return json_response({"id": handoff.id, "status": "active", "agent": request[STAFF].name})


@routes.get("/admin/console/agents")
@doc("可转接的客服", "人工客服", response="Object", auth="staff")
@require_staff(*AGENT)
async def agents(request: web.Request) -> web.Response:
    rows = await staff_service.agents()
    return json_response({"agents": [{"id": a.id, "name": a.name} for a in rows]})


@routes.get("/admin/console/quick-replies")
@doc("快捷回复（FAQ 答案）", "人工客服", response="Object", auth="staff")
@require_staff(*AGENT)
async def quick_replies(request: web.Request) -> web.Response:
    # Labelled with the curators' Chinese titles; the generated domain (keys only) when none are curated.
    curated = await faq.entries(enabled_only=True, order="title")
    if curated:
        return json_response({"quick_replies": [{"key": f.key, "title": f.title, "text": f.answer} for f in curated]})
    domain = yaml.safe_load(GENERATED_DOMAIN.read_text(encoding="utf-8")) if GENERATED_DOMAIN.exists() else {}
    generated = [{"key": k.split("/", 1)[1], "title": v[0]["text"][:16], "text": v[0]["text"]}
                 for k, v in sorted((domain.get("responses") or {}).items()) if k.startswith("utter_faq/")]
    return json_response({"quick_replies": generated})


@routes.get("/admin/console/materials/{code}")
@doc("事项材料清单（插入回复用）", "人工客服", response="Object", auth="staff",
     query=(Param("situation", {"type": "string"}),))
@require_staff(*AGENT)
async def materials(request: web.Request) -> web.Response:
    item = item_or_raise(await request.app[KNOWLEDGE].snapshot(), request.match_info["code"], "code")
    situation = chosen_situation(item, request.query.get("situation"))
    # With several situations and none chosen, the agent inserts the question, not a guess.
    text = ("\n".join(replies.materials_messages(item, situation)) if situation
            else replies.situations_message(item))
    return json_response({"code": item["code"], "name": item["name"], "situation": situation and situation["key"],
                          "text": text, "situations": situation_choices(item)})


@routes.get("/admin/console/tickets")
@doc("留言工单", "人工客服", response="Object", auth="staff",
     query=(Param("status", {"type": "string", "enum": ["open", "answered"]}),))
@require_staff(*AGENT)
async def tickets(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status not in (None, "open", "answered"):
        raise Invalid("invalid_parameter", "状态只能是 open（待回复）或 answered（已回复）", {"status": "open 或 answered"})
    return json_response({"tickets": [pii.mask_fields(t, "text") for t in await request.app[TICKETS].list(status)]})


@routes.post("/admin/console/tickets/{id}/answer")
@doc("回复留言（送达群众的渠道）", "人工客服", body=TextBody, response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*AGENT)
async def answer_ticket(request: web.Request) -> web.Response:
    body = await parse_body(request, TextBody)
    ticket, outcome = await request.app[TICKETS].answer_ticket(_id(request), request[STAFF], body.text)
    return json_response({"id": ticket.id, "status": ticket.status, "delivered": ticket.delivered,
                          "reason": outcome.reason, **({} if outcome else {
                              "message": f"回复已保存，但未能送达：{outcome.reason_text}。留言仍在待办中，请电话回访；"
                                         "群众再发消息时也会收到这条回复。"})})


@routes.post("/admin/console/tickets/{id}/contact")
@doc("留言群众的姓名和完整电话（电话回访用；查看会记入审计日志）", "人工客服", response="Object", auth="staff",
     path={"id": POSITIVE})
@require_staff(*AGENT)
async def ticket_contact(request: web.Request) -> web.Response:
    ticket_id = _id(request)
    contact = await request.app[TICKETS].contact(ticket_id)
    if contact is None:
        raise NotFound("contact_not_found", "这位群众没有留下姓名或电话")
    # The whole number is PII like a revealed message: seeing it is recorded (services/pii.py).
    staff = request[STAFF]
    await pii.record_reveal("ticket_contact", str(ticket_id), staff)
    return json_response(contact)


@routes.post("/admin/console/ws-ticket")
@doc("实时推送连接凭证（30秒内用一次）", "人工客服", response="Object", auth="staff")
@require_staff(*AGENT)
async def ws_ticket(request: web.Request) -> web.Response:
    return json_response({"ticket": await issue_ticket(request.app[REDIS], request[STAFF])})


@routes.get("/admin/console/ws")
async def live(request: web.Request) -> web.WebSocketResponse:
    # Browsers cannot set headers on a WebSocket: it opens with a one-use ticket (POST ws-ticket), so
    # neither the token nor anything reusable ever travels in its URL.
    account = await redeem_ticket(request.app[REDIS], request.query.get("ticket", ""))
    if account is None or account.role not in ("agent", "admin"):
        raise Unauthorized("unauthorized", "请先登录（连接凭证无效或已用过）")
    ws = web.WebSocketResponse(heartbeat=25)
    await ws.prepare(request)
    pubsub = request.app[REDIS].pubsub()
    await pubsub.subscribe(CONSOLE_CHANNEL)

    async def forward():
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                data = message["data"]
                await ws.send_str(data.decode() if isinstance(data, bytes) else data)

    task = asyncio.create_task(forward())
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pubsub.unsubscribe()
        await pubsub.aclose()
    return ws


