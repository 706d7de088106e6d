"""Customer-service (客服) messages to official-account users within WeChat's window: after a user's
message (or menu click, or follow) the account may send at most 5 messages within 48 hours.
WeChat enforces this itself (45015, 45047); counting here too means we neither waste calls nor
learn about the limit only from errors. Other code (the hand-off) sends through `send_text`.

What cannot go out that way waits here for the user's next message: its passive reply carries it
(a passive reply needs neither the window nor the API credentials)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from miniprogram_api.wechat_api import TOKEN_ERRORS, WeChatApi, WeChatError

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 48 * 3600
MAX_MESSAGES = 5
WINDOW_CLOSED = 45015  # "response out of time limit or subscription is canceled"
TOO_MANY = 45047  # "out of response count limit"

# Why a message did not go out; the agent is told which (bot/delivery.py has the Chinese).
NOT_CONFIGURED, WINDOW_CLOSED_REASON, LIMIT_REACHED = "not_configured", "window_closed", "limit_reached"
INVALID_TOKEN, WECHAT_ERROR = "invalid_token", "wechat_error"

# Undelivered texts wait this long for the user's next message; after that a late answer would
# confuse more than help (and the agent has been told it did not arrive).
PENDING_SECONDS = 3 * 24 * 3600
PENDING_MAX = 20  # a passive reply is one message: keep the newest few

# Reserve one message of the window atomically: two workers sending at once must not both take the 5th.
# Returns the new count, -1 when the window is closed (no user message, or older than 48 h), -2 when full.
_RESERVE = """
local last = redis.call('HGET', KEYS[1], 'last')
if not last or tonumber(ARGV[1]) - tonumber(last) > tonumber(ARGV[2]) then return -1 end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if sent >= tonumber(ARGV[3]) then return -2 end
return redis.call('HINCRBY', KEYS[1], 'sent', 1)
"""

# Only adjust a window that still exists: re-creating an expired one would leave a key without a TTL.
_REFUND = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'sent', -1) end return 0"
_FILL = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'sent', ARGV[1]) end return 0"


@dataclass(frozen=True)
class SendResult:
    """Truthy when WeChat accepted the message; otherwise `reason` says why not."""
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.reason is None


SENT = SendResult()


def _key(openid: str) -> str:
    return f"govhall:wechat:cs:{openid}"


def _pending_key(openid: str) -> str:
    return f"govhall:wechat:pending:{openid}"


def masked(openid: str) -> str:
    """Enough of an openid to follow one user through the logs, not enough to address them."""
    return openid[:4] + "…" + openid[-4:] if len(openid) > 10 else "…"


async def note_user_message(redis: aioredis.Redis, openid: str, now: float | None = None) -> None:
    """The user wrote (or clicked, or followed): a new 48-hour window with 5 messages opens."""
    key = _key(openid)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping={"last": f"{time.time() if now is None else now:.3f}", "sent": 0})
        pipe.expire(key, WINDOW_SECONDS)
        await pipe.execute()


async def remaining(redis: aioredis.Redis, openid: str, now: float | None = None) -> int:
    """How many customer-service messages the window still allows (0 when closed)."""
    data = await redis.hgetall(_key(openid))
    now = time.time() if now is None else now
    if not data.get("last") or now - float(data["last"]) > WINDOW_SECONDS:
        return 0
    return max(0, MAX_MESSAGES - int(data.get("sent", 0)))


async def send_text(api: WeChatApi, redis: aioredis.Redis, openid: str, text: str,
                    now: float | None = None) -> SendResult:
    """Send one customer-service text if the window allows; truthy when WeChat accepted it.
    Never raises for WeChat's refusals: they are logged and reported with their reason."""
    who = masked(openid)
    if not api.configured:
        log.warning("wechat_cs_not_configured", openid=who)
        return SendResult(NOT_CONFIGURED)
    now = time.time() if now is None else now
    reserved = await redis.eval(_RESERVE, 1, _key(openid), f"{now:.3f}", WINDOW_SECONDS, MAX_MESSAGES)
    if reserved < 0:
        reason = WINDOW_CLOSED_REASON if reserved == -1 else LIMIT_REACHED
        log.warning("wechat_cs_refused", openid=who, reason=reason, limit=MAX_MESSAGES,
                    window_hours=WINDOW_SECONDS // 3600)
        return SendResult(reason)
    try:
        await api.send_custom_text(openid, text)
    except WeChatError as exc:
        if exc.errcode == WINDOW_CLOSED:
            await redis.delete(_key(openid))  # WeChat knows better (the user may have unfollowed)
            reason = WINDOW_CLOSED_REASON
        elif exc.errcode == TOO_MANY:
            await redis.eval(_FILL, 1, _key(openid), MAX_MESSAGES)
            reason = LIMIT_REACHED
        else:
            await redis.eval(_REFUND, 1, _key(openid))  # not sent: give the reservation back
            reason = INVALID_TOKEN if exc.errcode in TOKEN_ERRORS else WECHAT_ERROR
        log.warning("wechat_cs_failed", openid=who, reason=reason, errcode=exc.errcode, errmsg=exc.errmsg[:100])
        return SendResult(reason)
    log.info("wechat_cs_sent", openid=who, sent=reserved, chars=len(text))
    return SENT


async def keep_pending(redis: aioredis.Redis, openid: str, row_id: int, role: str, text: str) -> None:
    """A transcript row that could not go out: the user's next message's passive reply carries it."""
    key = _pending_key(openid)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, json.dumps({"row": row_id, "role": role, "text": text}, ensure_ascii=False))
        pipe.ltrim(key, -PENDING_MAX, -1)
        pipe.expire(key, PENDING_SECONDS)
        await pipe.execute()


async def take_pending(redis: aioredis.Redis, openid: str) -> list[dict]:
    """The waiting texts, oldest first, removed in one step: two workers never both deliver them."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lrange(_pending_key(openid), 0, -1)
        pipe.delete(_pending_key(openid))
        raw, _ = await pipe.execute()
    out = []
    for item in raw:
        try:
            out.append(json.loads(item))
        except (TypeError, ValueError):
            log.warning("wechat_pending_unreadable", openid=masked(openid))
    return out
