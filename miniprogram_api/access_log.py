"""The access log, structured, with secrets taken out of the query string: WeChat's signatures and
echostr, and any staff token or WebSocket ticket that still arrives in a URL. aiohttp's default line
writes the whole request line, and with it whatever secret a client put there."""
from __future__ import annotations

from urllib.parse import quote

import structlog
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

log = structlog.get_logger("access")
SECRET_PARAMS = frozenset({"token", "ticket", "signature", "msg_signature", "echostr", "access_token", "code"})


def redacted_path(request: BaseRequest) -> str:
    if not request.query_string:
        return request.path
    query = "&".join(f"{quote(k, safe='')}={'***' if k.lower() in SECRET_PARAMS else quote(v, safe='')}"
                     for k, v in request.query.items())
    return f"{request.path}?{query}"


class RedactingAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        log.info("http", method=request.method, path=redacted_path(request), status=response.status,
                 ms=round(time * 1000, 1), remote=request.remote)
