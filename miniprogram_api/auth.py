"""Staff bearer-token auth for /admin routes."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from miniprogram_api.errors import ApiError
from miniprogram_api.keys import STAFF
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
