"""WeChat's REST API without blocking the event loop (aiohttp), for one app id: the access token
cached in Redis and refreshed under a Redis lock, code2session, customer-service, subscribe and
menu calls. wechatpy stays for what is pure computation (signatures, AES, XML)."""
from __future__ import annotations

from typing import Any

import aiohttp
import redis.asyncio as aioredis
import structlog

log = structlog.get_logger(__name__)

TOKEN_MARGIN_SECONDS = 300  # refresh well before WeChat's own expiry
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / malformed / expired access token
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=5)


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode, or could not be reached (errcode -2)."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class WeChatApi:
    def __init__(self, base_url: str, app_id: str, app_secret: str, http: aiohttp.ClientSession,
                 redis: aioredis.Redis):
        self.base_url = base_url.rstrip("/")
        self.app_id, self.app_secret = app_id, app_secret
        self.http, self.redis = http, redis
        self._token_key = f"govhall:wechat:token:{app_id}"

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return await self._request("GET", path, params=params)

    async def _request(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        try:
            async with self.http.request(method, self.base_url + path, timeout=REQUEST_TIMEOUT, **kwargs) as resp:
                # WeChat answers JSON with text/plain at times; parse regardless of the content type.
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("wechat_unreachable", path=path, error=repr(exc))
            raise WeChatError(-2, f"WeChat unreachable: {exc!r}") from exc
        if not isinstance(data, dict):
            raise WeChatError(-2, "WeChat answered something that is not a JSON object")
        if data.get("errcode", 0) != 0:
            raise WeChatError(int(data["errcode"]), str(data.get("errmsg", "")))
        return data

    async def access_token(self, stale: str | None = None) -> str:
        """The cached token; `stale` is a token WeChat just refused, which forces one refresh
        (unless another worker has replaced it already)."""
        cached = await self.redis.get(self._token_key)
        if cached and cached != stale:
            return cached
        async with self.redis.lock(self._token_key + ":lock", timeout=15, blocking_timeout=15):
            cached = await self.redis.get(self._token_key)
            if cached and cached != stale:
                return cached
            data = await self._get("/cgi-bin/token", {"grant_type": "client_credential", "appid": self.app_id,
                                                      "secret": self.app_secret})
            token = str(data["access_token"])
            ttl = max(60, int(data.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS)
            await self.redis.set(self._token_key, token, ex=ttl)
            log.info("wechat_token_refreshed", app_id=self.app_id, ttl=ttl)
            return token

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST with the access token; a token WeChat calls invalid is refreshed once and the call retried."""
        token = await self.access_token()
        try:
            return await self._request("POST", path, params={"access_token": token}, json=payload)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.warning("wechat_token_refused", app_id=self.app_id, errcode=exc.errcode)
            token = await self.access_token(stale=token)
            return await self._request("POST", path, params={"access_token": token}, json=payload)

    async def code2session(self, code: str) -> dict[str, Any]:
        """Mini-program login: {openid, session_key, unionid?}."""
        return await self._get("/sns/jscode2session", {"appid": self.app_id, "secret": self.app_secret,
                                                       "js_code": code, "grant_type": "authorization_code"})

    async def send_custom_text(self, openid: str, text: str) -> None:
        await self.post("/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_subscribe_message(self, openid: str, template_id: str, data: dict[str, str],
                                     page: str | None = None) -> None:
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id,
                                   "data": {k: {"value": v} for k, v in data.items()}}
        if page:
            payload["page"] = page
        await self.post("/cgi-bin/message/subscribe/send", payload)

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.post("/cgi-bin/menu/create", menu)
