"""Small request/response helpers shared by the route modules."""
from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

_dumps = functools.partial(json.dumps, ensure_ascii=False, default=str)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    from miniprogram_api.errors import ApiError

    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, "invalid_parameter", f"参数 {name} 应为 {low} 到 {high} 之间的整数",
                       {name: f"expected an integer from {low} to {high}"})
    return int(raw)
