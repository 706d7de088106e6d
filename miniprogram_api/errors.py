"""One JSON error envelope for every failure: {"error": {"code", "message", "fields"}}."""
from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from miniprogram_api.http import json_response

log = structlog.get_logger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> web.Response:
    return json_response({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests"}
_HTTP_MESSAGES = {400: "请求有误", 401: "请先登录", 403: "没有权限访问", 404: "没有找到这个地址",
                  405: "不支持这种请求方法", 409: "操作冲突，请刷新后重试", 413: "请求内容太大",
                  415: "不支持这种内容类型", 429: "请求太频繁，请稍后再试"}


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message, exc.fields)
        if retry_after := getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(retry_after)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        fallback = "服务暂时出了点问题，请稍后再试" if exc.status >= 500 else "请求没有成功，请检查后重试"
        response = error_response(exc.status, _HTTP_CODES.get(exc.status, "http_error"),
                                  _HTTP_MESSAGES.get(exc.status, fallback))
        if "Allow" in exc.headers:  # a 405 names the methods that are supported (RFC 9110)
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled_error", path=request.path, method=request.method)
        return error_response(500, "internal_error", "服务暂时出了点问题，请稍后再试")
