"""The mini-program chat: the same conversation service as the official account, with a long-poll
for what arrives later (an agent's replies, queue positions, notices)."""
from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from bot.conversation import conversation_of, turn_rows
from bot.delivery import MAX_WAIT_SECONDS, message_view
from miniprogram_api.auth import require_citizen
from miniprogram_api.digits import plain_digits
from miniprogram_api.errors import Invalid
from miniprogram_api.http import json_response, parse_body
from miniprogram_api.keys import CITIZEN, CONVERSATIONS, DELIVERY
from miniprogram_api.models.conversation import Conversation
from miniprogram_api.openapi import Param, doc

CHANNEL = "miniprogram"
routes = web.RouteTableDef()


class ChatBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=1, max_length=500)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:.-]+$")


async def _conversation(request: web.Request) -> Conversation:
    return await conversation_of(CHANNEL, str(request[CITIZEN].id))


@routes.post("/api/v1/chat/messages")
@doc("发消息给机器人（或人工客服）", "对话", body=ChatBody, response="ChatTurn", auth="citizen")
@require_citizen
async def send(request: web.Request) -> web.Response:
    body = await parse_body(request, ChatBody)
    if not body.text.strip():
        raise Invalid("invalid_body", "消息不能为空", {"text": "消息内容不能只有空白"})
    turn = await request.app[CONVERSATIONS].handle(CHANNEL, str(request[CITIZEN].id), body.text.strip(),
                                                    body.client_msg_id)
    rows = turn.rows or await turn_rows(turn)
    return json_response({"replies": [{"text": t} for t in turn.replies], "events": turn.events,
                          "state": turn.state,  # as the turn left it: it may have handed the citizen to a person
                          "messages": [message_view(m) for m in rows],
                          "last_id": rows[-1].id if rows else turn.after_id})


@routes.get("/api/v1/chat/messages")
@doc("取新消息（长轮询：没有新消息时最多等待 wait 秒）", "对话", response="ChatMessages", auth="citizen",
     query=(Param("after", {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}),
            Param("wait", {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS})))
@require_citizen
async def poll(request: web.Request) -> web.Response:
    raw_after = request.query.get("after", "0")
    try:
        after = int(raw_after) if plain_digits(raw_after) else -1
        wait = float(request.query.get("wait", "0"))
    except ValueError:
        raise Invalid("invalid_parameter", "起始消息编号应为整数，等待秒数应为数字",
                       {"after": "应为整数", "wait": "应为秒数"}) from None
    if not 0 <= after < 2**63:  # a message id is a 64-bit integer in the database
        raise Invalid("invalid_parameter", "起始消息编号应为非负整数", {"after": "应为0到2^63-1之间的整数"})
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise Invalid("invalid_parameter", f"等待秒数应在0到{MAX_WAIT_SECONDS:g}秒之间",
                       {"wait": f"应在0到{MAX_WAIT_SECONDS:g}秒之间"})
    conversation = await _conversation(request)
    rows = await request.app[DELIVERY].messages_after(conversation, after, wait)
    return json_response({"messages": [message_view(m) for m in rows], "last_id": rows[-1].id if rows else after,
                          "state": conversation.state})
