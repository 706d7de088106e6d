"""Messages that reach a citizen outside the turn they sent (an agent's replies, the queue position,
notices): stored in the transcript, announced on Redis so every app worker's long-polls and consoles
see them, and pushed on the citizen's channel — a customer-service message for the official account,
the chat long-poll for the mini-program. What the official account cannot deliver is marked so on its
row with the reason, and waits for the citizen's next message (bot/customer_service.py)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog

from bot import console_events, customer_service
from miniprogram_api.models.conversation import Conversation, TranscriptMessage

log = structlog.get_logger(__name__)

MAX_WAIT_SECONDS = 25.0

# (official-account openid, text) -> customer_service.SendResult (truthy when sent; a plain bool works
# too). The app supplies it: customer_service.send_text, under WeChat's 48 h / 5-message rule.
WeChatSender = Callable[[str, str], Awaitable[Any]]

# Why a message did not reach the citizen, as the agent is told it.
UNDELIVERED_REASONS = {
    customer_service.NOT_CONFIGURED: "公众号未配置客服消息接口",
    customer_service.WINDOW_CLOSED_REASON: "群众超过48小时没有发消息",
    customer_service.LIMIT_REACHED: "已用完48小时内的5条客服消息",
    customer_service.INVALID_TOKEN: "公众号接口凭证无效",
    customer_service.WECHAT_ERROR: "微信接口出错",
}


def reason_text(reason: str | None) -> str:
    return UNDELIVERED_REASONS.get(reason or "", "微信未能送达")


@dataclass(frozen=True)
class Delivered:
    """What became of a message to the citizen: truthy when it went out, else `reason` says why not."""
    reason: str | None = None
    message_id: int | None = None  # its transcript row

    def __bool__(self) -> bool:
        return self.reason is None

    @property
    def reason_text(self) -> str | None:
        return None if self.reason is None else reason_text(self.reason)


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
        await console_events.announce(self.redis, event)

    async def to_citizen(self, conversation: Conversation, role: str, text: str,
                         data: dict[str, Any] | None = None) -> Delivered:
        """Records and pushes a message; falsy, with the reason, when the channel could not deliver it.
        An official-account message that did not go out waits for the citizen's next message."""
        reason = None
        if conversation.channel == "wechat":
            if self.wechat_sender is None:
                reason = customer_service.NOT_CONFIGURED
            else:
                sent = await self.wechat_sender(conversation.user_id, text)
                # A sender that answers a bare False gives no reason: call it WeChat's error.
                reason = None if sent else (getattr(sent, "reason", None) or customer_service.WECHAT_ERROR)
        extra = {"delivered": True} if reason is None else {"delivered": False, "undelivered_reason": reason}
        row = await self.record(conversation, role, text, data={**(data or {}), **extra})
        if reason is not None:
            log.warning("not_delivered", conversation=conversation.id, channel=conversation.channel, reason=reason)
            await customer_service.keep_pending(self.redis, conversation.user_id, row.id, role, text)
        return Delivered(reason, row.id)

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
