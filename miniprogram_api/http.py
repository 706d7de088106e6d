"""Small request/response helpers shared by the route modules."""
from __future__ import annotations

import functools
import json
from typing import Any, TypeVar

from aiohttp import web
from miniprogram_api.digits import plain_digits

BodyT = TypeVar("BodyT")

_dumps = functools.partial(json.dumps, ensure_ascii=False, default=str)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    from miniprogram_api.errors import ApiError

    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not plain_digits(raw) or not low <= int(raw) <= high:
        raise ApiError(400, "invalid_parameter", f"参数 {name} 应为 {low} 到 {high} 之间的整数",
                       {name: f"expected an integer from {low} to {high}"})
    return int(raw)


def bool_param(request: web.Request, name: str) -> bool:
    from miniprogram_api.errors import ApiError

    raw = request.query.get(name, "false")
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(400, "invalid_parameter", f"参数 {name} 应为 true 或 false", {name: "true or false"})
    return raw in ("true", "1")


async def parse_body(request: web.Request, model: "type[BodyT]") -> "BodyT":
    """The JSON body validated by a pydantic model; every problem is named in `fields`."""
    from pydantic import ValidationError

    from miniprogram_api.errors import ApiError

    try:
        raw = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise ApiError(400, "invalid_json", "请求内容不是合法的 JSON", {"body": "expected a JSON object"}) from None
    if not isinstance(raw, dict):
        raise ApiError(400, "invalid_json", "请求内容应为 JSON 对象", {"body": "expected a JSON object"})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        raise ApiError(400, "invalid_body", "提交的内容有误：" + "；".join(f"{k} {v}" for k, v in fields.items()),
                       fields) from None
