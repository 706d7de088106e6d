"""POST /admin/nlu/try: what the bot understands of a sentence and what it would say, touching no conversation."""
from __future__ import annotations

import uuid

import structlog
from aiohttp import web
from pydantic import BaseModel, Field

from bot.conversation import turn_from_rasa
from bot.rasa_client import RasaUnavailable
from bot.understanding import faq_key, ranked_items
from miniprogram_api.auth import CURATOR, require_staff
from miniprogram_api.errors import Invalid, Unavailable
from miniprogram_api.http import json_response
from miniprogram_api.keys import KNOWLEDGE, RASA, REDIS
from miniprogram_api.openapi import doc
from miniprogram_api.routes.actions import TRY_SENDER_KEY

MAX_TEXT = 200
log = structlog.get_logger(__name__)
routes = web.RouteTableDef()


class TryBody(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


async def _text_of(request: web.Request) -> str:
    try:
        body = await request.json()
    except ValueError:
        raise Invalid("invalid_json", "请求内容不是合法的 JSON", {"body": "不是合法的 JSON"}) from None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise Invalid("invalid_text", "请输入要试的句子", {"text": "必须填写：句子"})
    if len(text) > MAX_TEXT:
        raise Invalid("invalid_text", f"句子太长了，请控制在{MAX_TEXT}字以内", {"text": f"句子最多{MAX_TEXT}个字"})
    return text.strip()


@routes.post("/admin/nlu/try")
@doc("试一句话：机器人理解了什么、会怎么回答", "FAQ 维护", body=TryBody, response="NluTry", auth="staff")
@require_staff(*CURATOR)
async def try_sentence(request: web.Request) -> web.Response:
    text = await _text_of(request)
    rasa = request.app[RASA]
    try:
        parsed = await rasa.parse(text)
        # A throwaway sender: the real conversations' trackers are never touched. The actions accept
        # it only while this key lives (miniprogram_api/routes/actions.py).
        sender = uuid.uuid4().hex
        await request.app[REDIS].set(TRY_SENDER_KEY + sender, "1", ex=300)
        turn = turn_from_rasa(await rasa.send(f"try:{sender}", text, {"channel": "try"}))
    except RasaUnavailable as exc:
        log.warning("nlu_try_rasa_unavailable", error=str(exc)[:300])
        raise Unavailable("rasa_unavailable", "机器人服务暂时不可用，请稍后再试", {"rasa": "连不上机器人服务或没有响应"}) from None
    snap = await request.app[KNOWLEDGE].snapshot()
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end", "confidence_entity", "extractor") if k in e}
        for e in parsed.get("entities", [])
    ]
    items = [snap.items[c] for c in ranked_items(snap, parsed.get("entities", []), text)]
    intent = parsed.get("intent") or {}
    return json_response({
        "text": text,
        "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
        "entities": entities,
        "items": [{"code": i["code"], "name": i["name"], "aliases": i["aliases"]} for i in items],
        "replies": [{"text": r} for r in turn.replies],
        # What the bot would do with it: answered (about item_code), clarify, not_covered, out_of_scope …
        "outcome": turn.outcome,
        "item_code": turn.item_code,
        "response_selector": faq_key(parsed),
    })
