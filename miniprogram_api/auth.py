"""Staff auth for /admin routes: a bearer token (scripts, the CLI) or the pages' session cookie."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from miniprogram_api.errors import Forbidden, Unauthorized
from miniprogram_api.field_names import roles_text
from miniprogram_api.keys import CITIZEN, REDIS, STAFF
from miniprogram_api.services.staff import account_for_session, authenticate

SESSION_COOKIE = "govhall_staff"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Who may do what (admin may do everything; README "Security" has the matrix). A role's routes are
# the work of that desk in the hall: an agent never decides an application or closes the hall's slots.
MANAGER = ("manager",)  # the hall: bookings, check-in, slots, ratings' follow-ups, statistics
BACKOFFICE = ("backoffice",)  # 办件: applications
AGENT = ("agent",)  # the console
CURATOR = ("curator",)  # the FAQ, "try a sentence", the models
COMPLAINTS = ("manager", "agent")  # answered by the hall or by an agent from the console


def require_staff(*roles: str) -> Callable[[Handler], Handler]:
    """Admins may do everything; otherwise the account's role must be one of `roles`."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            account = await staff_account(request)
            if roles and account.role != "admin" and account.role not in roles:
                raise Forbidden("forbidden", "当前账号没有这项操作的权限", {"role": f"需要以下角色之一：{roles_text(roles)}"})
            request[STAFF] = account
            return await handler(request)

        return wrapper

    return decorate


async def staff_account(request: web.Request):
    """The account of the bearer token or, failing that, of the page's session cookie; 401 otherwise."""
    if token := bearer_token(request):
        account = await authenticate(token)
    elif session := request.cookies.get(SESSION_COOKIE, ""):
        account = await account_for_session(request.app[REDIS], session)
        if account is None:
            raise Unauthorized("session_expired", "登录已过期，请重新输入令牌")
    else:
        raise Unauthorized("unauthorized", "请先登录（缺少工作人员令牌）", {"Authorization": "应为：Bearer 加工作人员令牌"})
    if account is None:
        raise Unauthorized("unauthorized", "工作人员令牌无效或已停用")
    return account


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
            raise Unauthorized("unauthorized", "请先登录小程序", {"Authorization": "应为：Bearer 加登录后得到的令牌"})
        citizen = await citizen_for_token(request.app[REDIS], token)
        if citizen is None:
            raise Unauthorized("session_expired", "登录已过期，请重新登录")
        request[CITIZEN] = citizen
        return await handler(request)

    return wrapper
