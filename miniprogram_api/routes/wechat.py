"""`/wechat`: the official account's webhook. This layer only verifies, parses and responds; what a
message means is the channel's business (bot/wechat/channel.py)."""
from __future__ import annotations

import hashlib

import structlog
from aiohttp import web

from bot.wechat.channel import WeChatChannel
from bot.wechat.envelope import Envelope, Rejected, message_identity
from miniprogram_api.keys import CONVERSATIONS, OFFICIAL, REDIS, SETTINGS, WECHAT, WECHAT_ENVELOPE

log = structlog.get_logger(__name__)

routes = web.RouteTableDef()
MAX_MESSAGE_BYTES = 64 * 1024  # WeChat's messages are a few hundred bytes; refuse to parse anything large


def _rejected(request: web.Request, exc: Rejected) -> web.Response:
    # The reason is for us; the caller (WeChat, or whoever forged the request) learns nothing from the body.
    log.warning("wechat_rejected", reason=exc.reason, status=exc.status, method=request.method,
                remote=request.remote)
    return web.Response(status=exc.status, text="forbidden" if exc.status == 403 else "rejected")


async def _refuse_replay(request: web.Request, identity: str) -> None:
    """In plaintext mode the signature covers the timestamp and nonce, not the body: a captured query
    string could carry any message. Each signed query is good for one message (WeChat's retries of that
    message included) while its timestamp is fresh."""
    q = request.query
    seen = hashlib.sha1(f"{q.get('signature')}:{q.get('timestamp')}:{q.get('nonce')}".encode()).hexdigest()
    key = f"govhall:wechat-signed:{seen}"
    redis = request.app[REDIS]
    fresh = await redis.set(key, identity, nx=True, ex=2 * request.app[WECHAT_ENVELOPE].max_skew + 60)
    if not fresh and await redis.get(key) != identity:  # make_redis decodes: both are str
        raise Rejected(403, "replayed_signature")


@routes.get("/wechat")
async def verify_url(request: web.Request) -> web.Response:
    try:
        echostr = request.app[WECHAT_ENVELOPE].verify_url(request.query)
    except Rejected as exc:
        return _rejected(request, exc)
    return web.Response(text=echostr)


@routes.post("/wechat")
async def receive(request: web.Request) -> web.Response:
    if (request.content_length or 0) > MAX_MESSAGE_BYTES:
        return _rejected(request, Rejected(413, "too_large"))
    body = await request.content.read(MAX_MESSAGE_BYTES + 1)
    if len(body) > MAX_MESSAGE_BYTES:
        return _rejected(request, Rejected(413, "too_large"))
    envelope = request.app[WECHAT_ENVELOPE]
    try:
        inbound = envelope.open(request.query, body)
        await _refuse_replay(request, message_identity(inbound.message))
    except Rejected as exc:
        return _rejected(request, exc)
    text = await request.app[WECHAT].respond(inbound.message)
    if not text:
        return web.Response(text="success")  # WeChat's "received, nothing to say now"
    return web.Response(text=envelope.seal(inbound, text), content_type="application/xml")


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[WECHAT_ENVELOPE] = Envelope(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key,
                                    settings.wechat_max_skew)
    app.add_routes(routes)

    async def channel(app: web.Application):
        # Registered after the app's own lifecycle: starts after Redis and the WeChat API exist,
        # and closes (sending what is on its way) before they go.
        app[WECHAT] = WeChatChannel(app[CONVERSATIONS], app[OFFICIAL], app[REDIS], settings.wechat_reply_budget)
        yield
        await app[WECHAT].close()

    app.cleanup_ctx.append(channel)
