"""Customer-service (客服) messages to official-account users within WeChat's window: after a user's
message (or menu click, or follow) the account may send at most 5 messages within 48 hours.
WeChat enforces this itself (45015, 45047); counting here too means we neither waste calls nor
learn about the limit only from errors. Other code (the hand-off) sends through `send_text`."""
from __future__ import annotations

import time

import redis.asyncio as aioredis
import structlog

from bot.wechat.api import TOKEN_ERRORS, WeChatApi, WeChatError

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 48 * 3600
MAX_MESSAGES = 5
WINDOW_CLOSED = 45015  # "response out of time limit or subscription is canceled"
TOO_MANY = 45047  # "out of response count limit"

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


def _key(openid: str) -> str:
    return f"govhall:wechat:cs:{openid}"


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


async def send_text(api: WeChatApi, redis: aioredis.Redis, openid: str, text: str, now: float | None = None) -> bool:
    """Send one customer-service text if the window allows; True when WeChat accepted it.
    Never raises for WeChat's refusals: they are logged and reported as False."""
    who = masked(openid)
    if not api.configured:
        log.warning("wechat_cs_not_configured", openid=who)
        return False
    now = time.time() if now is None else now
    reserved = await redis.eval(_RESERVE, 1, _key(openid), f"{now:.3f}", WINDOW_SECONDS, MAX_MESSAGES)
    if reserved < 0:
        log.warning("wechat_cs_refused", openid=who, reason="window_closed" if reserved == -1 else "limit_reached",
                    limit=MAX_MESSAGES, window_hours=WINDOW_SECONDS // 3600)
        return False
    try:
        await api.send_custom_text(openid, text)
    except WeChatError as exc:
        if exc.errcode == WINDOW_CLOSED:
            await redis.delete(_key(openid))  # WeChat knows better (the user may have unfollowed)
            reason = "window_closed"
        elif exc.errcode == TOO_MANY:
            await redis.eval(_FILL, 1, _key(openid), MAX_MESSAGES)
            reason = "limit_reached"
        else:
            await redis.eval(_REFUND, 1, _key(openid))  # not sent: give the reservation back
            reason = "invalid_token" if exc.errcode in TOKEN_ERRORS else "wechat_error"
        log.warning("wechat_cs_failed", openid=who, reason=reason, errcode=exc.errcode, errmsg=exc.errmsg[:100])
        return False
    log.info("wechat_cs_sent", openid=who, sent=reserved, chars=len(text))
    return True
