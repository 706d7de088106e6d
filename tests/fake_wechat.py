"""A stand-in for WeChat's API servers (unreachable here), in-process on a free port. It issues
tokens, answers code2session, accepts customer-service, subscribe and menu calls and records them;
tests can queue error answers (45015, 40001 …) for the next calls of a path."""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class FakeWeChat:
    app_secrets: dict[str, str] = field(default_factory=dict)  # app id -> secret it accepts
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    valid_tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    server: TestServer | None = None
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def sent(self, path: str) -> list[dict[str, Any]]:
        return [payload for p, payload in self.calls if p == path]

    def fail_next(self, path: str, *errcodes: int) -> None:
        self.errors[path].extend(errcodes)

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def _queued_error(self, path: str) -> web.Response | None:
        if self.errors[path]:
            code = self.errors[path].pop(0)
            return web.json_response({"errcode": code, "errmsg": f"fake error {code}"})
        return None

    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        self.token_requests += 1
        if self.app_secrets.get(q.get("appid", "")) != q.get("secret"):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"TOKEN-{q['appid']}-{next(self._counter)}"
        self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _code2session(self, request: web.Request) -> web.Response:
        q = request.query
        self.calls.append(("/sns/jscode2session", dict(q)))
        if (err := self._queued_error("/sns/jscode2session")) is not None:
            return err
        if self.app_secrets.get(q.get("appid", "")) != q.get("secret"):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = q.get("js_code", "")
        if not code or code.startswith("bad"):
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        # The same code always gives the same user, so a test can log the same citizen in twice.
        answer = {"openid": f"wxa-openid-{code}", "session_key": "c2Vzc2lvbmtleQ=="}
        if code.startswith("union"):
            answer["unionid"] = f"union-{code}"
        return web.Response(text=web.json_response(answer).text, content_type="text/plain")

    async def _authorised(self, request: web.Request) -> web.Response:
        path = request.path
        payload = await request.json()
        if request.query.get("access_token") not in self.valid_tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if (err := self._queued_error(path)) is not None:
            return err
        self.calls.append((path, payload))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def start(self) -> FakeWeChat:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get("/sns/jscode2session", self._code2session)
        for path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/subscribe/send", "/cgi-bin/menu/create"):
            app.router.add_post(path, self._authorised)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
