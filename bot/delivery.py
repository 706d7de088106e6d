"""Messages that reach a citizen outside the turn they sent (an agent's replies, the queue position,
notices): stored in the transcript, announced on Redis so every app worker's long-polls and consoles
see them, and pushed on the citizen's channel — a customer-service message for the official account,
the chat long-poll for the mini-program."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
import structlog

from bot.models import Conversation, TranscriptMessage

log = structlog.get_logger(__name__)

CONSOLE_CHANNEL = "govhall:console"
MAX_WAIT_SECONDS = 25.0

# (official-account openid, text) -> delivered?  The WeChat channel supplies it (48 h / 5-message rule).
WeChatSender = Callable[[str, str], Awaitable[bool]]


def conversation_channel(conversation_id: int) -> str:
    return f"govhall:conversation:{conversation_id}"


def message_view(m: TranscriptMessage) -> dict[str, Any]:
    return {"id": m.id, "role": m.role, "text": m.text, "intent": m.intent, "data": m.data,
            "created_at": m.created_at.isoformat() if m.created_at else None}


class Delivery:
    def __init__(self, redis: aioredis.Redis, wechat_sender: WeChatSender | None = None):
        self.redis = redis
        self.wechat_sender = wechat_sender

    async def record(self, conversation: Conversation, role: str, text: str, *, message_id: str | None = None,
                     intent: str | None = None, data: dict[str, Any] | None = None,
                     outcome: str | None = None) -> TranscriptMessage:
        """A transcript row, announced to whoever follows the conversation (long-polls, consoles)."""
        row = await TranscriptMessage.create(conversation=conversation, role=role, text=text, message_id=message_id,
                                             intent=intent, data=data or {}, outcome=outcome)
        await self.redis.publish(conversation_channel(conversation.id), str(row.id))
        await self.announce({"type": "message", "conversation_id": conversation.id, "message": message_view(row)})
        return row

    async def announce(self, event: dict[str, Any]) -> None:
        await self.redis.publish(CONSOLE_CHANNEL, json.dumps(event, ensure_ascii=False, default=str))

    async def to_citizen(self, conversation: Conversation, role: str, text: str,
                         data: dict[str, Any] | None = None) -> bool:
        """Records and pushes a message; False when the channel could not deliver it (WeChat's window)."""
        delivered = True
        if conversation.channel == "wechat":
            delivered = bool(self.wechat_sender and await self.wechat_sender(conversation.user_id, text))
        await self.record(conversation, role, text, data={**(data or {}), "delivered": delivered})
        if not delivered:
            log.warning("not_delivered", conversation=conversation.id, channel=conversation.channel)
        return delivered

    async def messages_after(self, conversation: Conversation, after: int, wait: float) -> list[TranscriptMessage]:
        """Messages newer than `after`; when there are none, waits up to `wait` seconds for one."""
        query = lambda: TranscriptMessage.filter(conversation=conversation, id__gt=after).order_by("id")  # noqa: E731
        rows = await query()
        if rows or wait <= 0:
            return rows
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(conversation_channel(conversation.id))
        try:
            rows = await query()  # anything that arrived while subscribing
            deadline = time.monotonic() + min(wait, MAX_WAIT_SECONDS)
            while not rows and (remaining := deadline - time.monotonic()) > 0:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=min(remaining, 1.0))
                if message is not None:
                    rows = await query()
                else:
                    await asyncio.sleep(0)
            return rows
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()
