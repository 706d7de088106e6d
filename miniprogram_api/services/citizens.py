"""Citizens: mini-program login (code2session), sessions in Redis, masked views."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
import structlog

from miniprogram_api.digits import plain_digits
from miniprogram_api.errors import Conflict, Unauthorized, UpstreamFailed
from miniprogram_api.logging import mask_id_number, mask_phone
from miniprogram_api.models.applications import Application
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.conversation import Conversation
from miniprogram_api.wechat_api import WeChatApi, WeChatError

log = structlog.get_logger(__name__)

SESSION_TTL_SECONDS = 7 * 24 * 3600
_SESSION_PREFIX = "govhall:session:"


async def _open_session(redis: aioredis.Redis, citizen: Citizen) -> str:
    token = secrets.token_urlsafe(32)
    await redis.set(_SESSION_PREFIX + token, str(citizen.id), ex=SESSION_TTL_SECONDS)
    citizen.last_login_at = datetime.now(UTC)
    await citizen.save(update_fields=["last_login_at"])
    return token


async def citizen_for_openid(openid: str, unionid: str | None = None) -> Citizen:
    citizen, _ = await Citizen.get_or_create(openid=openid)
    if unionid and citizen.unionid != unionid:
        # Link the mini-program to the official account only when no other row claims the unionid.
        if not await Citizen.filter(unionid=unionid).exclude(id=citizen.id).exists():
            citizen.unionid = unionid
            await citizen.save(update_fields=["unionid"])
    return citizen


async def login_with_code(wxa: WeChatApi, redis: aioredis.Redis, code: str) -> tuple[str, Citizen]:
    try:
        session = await wxa.code2session(code)
    except WeChatError as exc:
        log.warning("wechat_login_failed", errcode=exc.errcode)
        if exc.errcode == -2:
            raise UpstreamFailed("wechat_unavailable", "暂时无法连接微信，请稍后再试") from None
        raise Unauthorized("invalid_code", "登录凭证无效或已过期，请重新进入小程序", {"code": f"微信返回错误码 {exc.errcode}"}) from None
    citizen = await citizen_for_openid(session["openid"], session.get("unionid"))
    return await _open_session(redis, citizen), citizen


async def dev_login(redis: aioredis.Redis, openid: str) -> tuple[str, Citizen]:
    citizen = await citizen_for_openid(openid)
    return await _open_session(redis, citizen), citizen


async def citizen_for_token(redis: aioredis.Redis, token: str) -> Citizen | None:
    if not token:
        return None
    citizen_id = await redis.get(_SESSION_PREFIX + token)
    return await Citizen.get_or_none(id=int(citizen_id)) if citizen_id else None


async def logout(redis: aioredis.Redis, token: str) -> None:
    await redis.delete(_SESSION_PREFIX + token)


def citizen_view(citizen: Citizen) -> dict[str, Any]:
    return {"id": citizen.id, "name": citizen.name, "id_number": mask_id_number(citizen.id_number) if citizen.id_number else "",
            "phone": mask_phone(citizen.phone) if citizen.phone else "", "linked_official_account": bool(citizen.unionid)}


async def update_profile(citizen: Citizen, changes: dict[str, str]) -> Citizen:
    new_id = changes.get("id_number")
    if new_id is not None and new_id.upper() != (citizen.id_number or "").upper() \
            and await Application.exists(citizen_id=citizen.id):
        # The back office linked cases to this person; a different number would be a different person.
        raise Conflict("id_number_locked", "您已有在办或办结的事项，身份证号不能在线修改，请到大厅窗口办理",
                       {"id_number": "已有关联的办件，不能在线修改"})
    for key, value in changes.items():
        setattr(citizen, key, value)
    await citizen.save(update_fields=list(changes))
    return citizen


async def citizen_for_channel(channel: str, user_id: str, create: bool = True) -> Citizen | None:
    """The citizen behind a conversation: the mini-program chat's user id is the citizen's id; the
    official account's is its openid (a row is made on first need, unless `create` is False: a view
    must not make citizens); other channels (the terminal chat) get a row of their own keyed by channel
    and user. `try` conversations have no citizen."""
    if channel == "try":
        return None
    if channel == "miniprogram":
        return await Citizen.get_or_none(id=int(user_id)) if plain_digits(user_id) else None
    key = {"oa_openid": user_id} if channel == "wechat" else {"openid": f"{channel}:{user_id}"[:64]}
    return (await Citizen.get_or_create(**key))[0] if create else await Citizen.get_or_none(**key)


async def citizen_of_conversation(conversation: Conversation, create: bool = True) -> Citizen | None:
    return await citizen_for_channel(conversation.channel, conversation.user_id, create)
