"""The one conversation service every channel goes through (DESIGN.md, "The conversation path"):
duplicates dropped, one message at a time per user, Rasa answers, every turn stored."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as aioredis
import structlog

from bot.models import Conversation, TranscriptMessage
from bot.rasa_client import RasaClient, RasaUnavailable

log = structlog.get_logger(__name__)

UNAVAILABLE_REPLY = "抱歉，系统正忙，暂时无法回答。请稍后再试，或拨打12345政务服务便民热线咨询。"
TURN_CACHE_SECONDS = 120  # WeChat retries a message for about 15 s; keep the answer well past that
LOCK_SECONDS = 60
LOCK_WAIT_SECONDS = 30


@dataclass
class Turn:
    replies: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)  # custom payloads: handoff requested, human offered …
    duplicate: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "Turn":
        data = json.loads(raw)
        return cls(replies=data["replies"], events=data["events"], duplicate=True)


def sender_id(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def turn_from_rasa(messages: list[dict[str, Any]]) -> Turn:
    replies, events = [], []
    for m in messages:
        if m.get("text"):
            replies.append(m["text"])
        custom = m.get("custom")
        if isinstance(custom, dict) and custom.get("event"):
            events.append(custom)
    return Turn(replies, events)


class ConversationService:
    def __init__(self, rasa: RasaClient, redis: aioredis.Redis):
        self.rasa = rasa
        self.redis = redis

    async def handle(self, channel: str, user_id: str, text: str, message_id: str | None = None,
                     budget: float | None = None) -> Turn:
        sender = sender_id(channel, user_id)
        cache_key = f"govhall:turn:{sender}:{message_id}" if message_id else None
        if cache_key and (cached := await self.redis.get(cache_key)):
            return Turn.from_json(cached)
        async with self.redis.lock(f"govhall:lock:{sender}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS):
            # A retry that waited for the first delivery to finish gets that delivery's answer.
            if cache_key and (cached := await self.redis.get(cache_key)):
                return Turn.from_json(cached)
            conversation, _ = await Conversation.get_or_create(channel=channel, user_id=user_id)
            await TranscriptMessage.create(conversation=conversation, role="citizen", text=text, message_id=message_id)
            try:
                turn = turn_from_rasa(await self.rasa.send(sender, text, {"channel": channel}, budget=budget))
            except RasaUnavailable as exc:
                log.error("rasa_unavailable", channel=channel, error=str(exc))
                turn = Turn([UNAVAILABLE_REPLY], [{"event": "rasa_unavailable"}])
            for reply in turn.replies:
                await TranscriptMessage.create(conversation=conversation, role="bot", text=reply,
                                               data={"events": turn.events} if turn.events else {})
            await conversation.save(update_fields=["updated_at"])
            if cache_key:
                await self.redis.set(cache_key, turn.to_json(), ex=TURN_CACHE_SECONDS)
            log.info("turn", channel=channel, replies=len(turn.replies), events=[e["event"] for e in turn.events])
            return turn
