"""Mini-program login and the citizen's own profile."""
from __future__ import annotations

import re

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from miniprogram_api.auth import bearer_token, require_citizen
from miniprogram_api.errors import Forbidden
from miniprogram_api.http import json_response, parse_body
from miniprogram_api.keys import CITIZEN, REDIS, SETTINGS, WXA
from miniprogram_api.openapi import doc
from miniprogram_api.services import citizens
from miniprogram_api.services.identity import valid_id_number

routes = web.RouteTableDef()


class LoginBody(BaseModel, extra="forbid"):
    code: str = Field(min_length=1, max_length=128)


class DevLoginBody(BaseModel, extra="forbid"):
    openid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ProfileBody(BaseModel, extra="forbid"):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    id_number: str | None = None
    phone: str | None = None

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str | None) -> str | None:
        if v is not None and not valid_id_number(v):
            raise ValueError("不是有效的18位居民身份证号码")
        return v.upper() if v else v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"1[3-9]\d{9}", v):
            raise ValueError("不是有效的11位手机号码")
        return v


def _session(token: str, citizen) -> web.Response:
    return json_response({"token": token, "expires_in": citizens.SESSION_TTL_SECONDS,
                          "citizen": citizens.citizen_view(citizen)})


@routes.post("/api/v1/auth/login")
@doc("小程序登录（code2session）", "登录", body=LoginBody, response="Session")
async def login(request: web.Request) -> web.Response:
    body = await parse_body(request, LoginBody)
    wxa = request.app[WXA]
    if not wxa.configured:
        raise Forbidden("wechat_not_configured", "小程序尚未配置微信登录（开发环境请用 /api/v1/auth/dev-login）",
                       {"WXA_APP_ID": "未设置"})
    return _session(*await citizens.login_with_code(wxa, request.app[REDIS], body.code))


@routes.post("/api/v1/auth/dev-login")
@doc("开发环境登录（未配置小程序时）", "登录", body=DevLoginBody, response="Session")
async def dev_login(request: web.Request) -> web.Response:
    # Development only: with no mini-program configured there is no WeChat to ask who the user is. It
    # hands out a session for any openid, so it must be switched on (DEV_LOGIN=1; `make run` does).
    if request.app[WXA].configured:
        raise Forbidden("dev_login_disabled", "已配置微信登录，开发登录已停用")
    if not request.app[SETTINGS].dev_login:
        raise Forbidden("dev_login_disabled", "开发登录未开启（仅供开发环境，设置 DEV_LOGIN=1）")
    body = await parse_body(request, DevLoginBody)
    return _session(*await citizens.dev_login(request.app[REDIS], body.openid))


@routes.post("/api/v1/auth/logout")
@doc("退出登录", "登录", response="Ok", auth="citizen")
@require_citizen
async def logout(request: web.Request) -> web.Response:
    await citizens.logout(request.app[REDIS], bearer_token(request))
    return json_response({"ok": True})


@routes.get("/api/v1/me")
@doc("我的资料（证件号、手机号已脱敏）", "登录", response="Citizen", auth="citizen")
@require_citizen
async def me(request: web.Request) -> web.Response:
    return json_response(citizens.citizen_view(request[CITIZEN]))


@routes.patch("/api/v1/me")
@doc("修改我的资料", "登录", body=ProfileBody, response="Citizen", auth="citizen")
@require_citizen
async def update_me(request: web.Request) -> web.Response:
    body = await parse_body(request, ProfileBody)
    changes = body.model_dump(exclude_none=True)
    citizen = await citizens.update_profile(request[CITIZEN], changes)
    return json_response(citizens.citizen_view(citizen))
