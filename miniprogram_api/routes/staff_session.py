"""The staff pages' sign-in: the bearer token once, in a header, for an HttpOnly session cookie.

The cookie is SameSite=Strict, so another site can neither read it nor make the browser send it with
a forged request; it is Secure whenever the page came over HTTPS."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from miniprogram_api.auth import SESSION_COOKIE, bearer_token
from miniprogram_api.errors import Unauthorized
from miniprogram_api.http import json_response
from miniprogram_api.keys import REDIS
from miniprogram_api.openapi import doc
from miniprogram_api.services.staff import SESSION_SECONDS, authenticate, close_session, open_session

routes = web.RouteTableDef()
SCRIPT = Path(__file__).resolve().parent.parent / "static" / "staff-page.js"


def _https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


@routes.post("/admin/session")
@doc("工作人员页面登录（令牌放在 Authorization 头里，换取会话 Cookie）", "工作人员", response="Object", auth="staff")
async def sign_in(request: web.Request) -> web.Response:
    account = await authenticate(bearer_token(request))
    if account is None:
        raise Unauthorized("unauthorized", "工作人员令牌无效或已停用", {"Authorization": "应为：Bearer 加工作人员令牌"})
    session = await open_session(request.app[REDIS], account)
    response = json_response({"name": account.name, "role": account.role})
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_SECONDS, path="/admin", httponly=True,
                        samesite="Strict", secure=_https(request))
    return response


@routes.delete("/admin/session")
@doc("工作人员页面退出登录", "工作人员", response="Ok")
async def sign_out(request: web.Request) -> web.Response:
    await close_session(request.app[REDIS], request.cookies.get(SESSION_COOKIE, ""))
    response = json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/admin")
    return response


@routes.get("/admin/staff-page.js")
async def script(request: web.Request) -> web.Response:
    # The sign-in both staff pages share (their CSP allows scripts of this origin only).
    return web.Response(text=SCRIPT.read_text(encoding="utf-8"), content_type="application/javascript")
