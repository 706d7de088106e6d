"""Staff bearer-token auth for /admin routes."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from miniprogram_api.errors import ApiError
from miniprogram_api.keys import CITIZEN, REDIS, STAFF
from miniprogram_api.services.staff import authenticate

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require_staff(*roles: str) -> Callable[[Handler], Handler]:
    """Admins may do everything; otherwise the account's role must be one of `roles`."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "unauthorized", "请先登录（缺少工作人员令牌）", {"Authorization": "expected: Bearer <token>"})
            account = await authenticate(token.strip())
            if account is None:
                raise ApiError(401, "unauthorized", "工作人员令牌无效或已停用")
            if roles and account.role != "admin" and account.role not in roles:
                raise ApiError(403, "forbidden", "当前账号没有这项操作的权限", {"role": f"requires one of: {', '.join(roles)}"})
            request[STAFF] = account
            return await handler(request)

        return wrapper

    return decorate


def bearer_token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def require_citizen(handler: Handler) -> Handler:
    """Mini-program routes: the session token from /api/v1/auth/login as a bearer token."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        from miniprogram_api.services.citizens import citizen_for_token

        token = bearer_token(request)
        if not token:
            raise ApiError(401, "unauthorized", "请先登录小程序", {"Authorization": "expected: Bearer <session token>"})
        citizen = await citizen_for_token(request.app[REDIS], token)
        if citizen is None:
            raise ApiError(401, "session_expired", "登录已过期，请重新登录")
        request[CITIZEN] = citizen
        return await handler(request)

    return wrapper
