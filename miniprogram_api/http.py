"""Small request/response helpers shared by the route modules, and the one JSON error envelope for every
failure: {"error": {"code", "message", "fields"}} (error_middleware)."""
from __future__ import annotations

import functools
import json
from typing import Any, TypeVar

import structlog
from aiohttp import web

from miniprogram_api import errors
from miniprogram_api.digits import plain_digits

log = structlog.get_logger(__name__)
BodyT = TypeVar("BodyT")

_dumps = functools.partial(json.dumps, ensure_ascii=False, default=str)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> web.Response:
    return json_response({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests"}
_HTTP_MESSAGES = {400: "请求有误", 401: "请先登录", 403: "没有权限访问", 404: "没有找到这个地址",
                  405: "不支持这种请求方法", 409: "操作冲突，请刷新后重试", 413: "请求内容太大",
                  415: "不支持这种内容类型", 429: "请求太频繁，请稍后再试"}


# The one place a domain error's kind becomes an HTTP status.
_STATUS = {errors.Invalid: 400, errors.Unauthorized: 401, errors.Forbidden: 403, errors.NotFound: 404,
           errors.Conflict: 409, errors.RateLimited: 429, errors.UpstreamFailed: 502, errors.Unavailable: 503}


def http_status(exc: errors.DomainError) -> int:
    return next((_STATUS[kind] for kind in type(exc).__mro__ if kind in _STATUS), 400)


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except errors.DomainError as exc:
        response = error_response(http_status(exc), exc.code, exc.message, exc.fields)
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


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    from miniprogram_api.field_names import query_label

    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not plain_digits(raw) or not low <= int(raw) <= high:
        text = f"{query_label(name)}应为{low}到{high}之间的整数"
        raise errors.Invalid("invalid_parameter", text, {name: text})
    return int(raw)


def bool_param(request: web.Request, name: str) -> bool:
    from miniprogram_api.field_names import query_label

    raw = request.query.get(name, "false")
    if raw not in ("true", "false", "1", "0"):
        text = f"{query_label(name)}应为 true 或 false"
        raise errors.Invalid("invalid_parameter", text, {name: text})
    return raw in ("true", "1")


async def parse_body(request: web.Request, model: type[BodyT]) -> BodyT:
    """The JSON body validated by a pydantic model; every problem is named, in Chinese, in `fields`."""
    from pydantic import ValidationError

    try:
        raw = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise errors.Invalid("invalid_json", "请求内容不是合法的 JSON", {"body": "不是合法的 JSON"}) from None
    if not isinstance(raw, dict):
        raise errors.Invalid("invalid_json", "请求内容应为 JSON 对象", {"body": "应为 JSON 对象"})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        message, fields = explain_validation_errors(model, exc.errors())
        raise errors.Invalid("invalid_body", message, fields) from None


# --- pydantic's validation errors, said in Chinese -------------------------------------------------

_MAX_PARTS = 5  # sentences in the message; `fields` names every problem
_BIG_INT = 2**31 - 1  # an id's upper bound: "a positive integer" says it better than the number


@functools.cache
def _schema(model: type) -> dict:
    return model.model_json_schema()


def _resolve(node: dict, defs: dict) -> tuple[dict, str | None]:
    """A schema node with its $ref followed and an Optional's null branch dropped; the model's name if any."""
    name = None
    for _ in range(10):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = defs.get(name, {})
        elif "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            if not branches:
                break
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **branches[0]}
        else:
            break
    return node, name


def _walk(model: type, loc: tuple) -> tuple[str, dict, str | None, str | None]:
    """The Chinese name of the place `loc` points at, its schema, the last field's name and its model's."""
    root = _schema(model)
    defs = root.get("$defs", {})
    node, owner, field, label_text = root, model.__name__, None, ""
    for part in loc:
        node, name = _resolve(node, defs)
        if name:
            owner = name
        if isinstance(part, int):
            label_text += f"第{part + 1}项"
            node = node.get("items", {})
        else:
            if label_text:
                label_text += "的"
            field = str(part)
            label_text += field_label(field, owner)
            node = node.get("properties", {}).get(field, {})
    node, name = _resolve(node, defs)
    return label_text or "请求内容", node, field, owner


def field_label(field: str, model: str | None = None) -> str:
    from miniprogram_api.field_names import label

    return label(field, model)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _int_rule(node: dict, ctx: dict) -> str:
    low = node.get("minimum", ctx.get("ge"))
    high = node.get("maximum", ctx.get("le"))
    if low is not None and high is not None and high < _BIG_INT:
        return f"必须是{low}到{high}之间的整数"
    if low == 1:
        return "必须是正整数"
    if low == 0:
        return "必须是非负整数"
    if low is not None:
        return f"必须是不小于{low}的整数"
    if high is not None:
        return f"必须是不大于{high}的整数"
    return "必须是整数"


def _choices(node: dict, ctx: dict) -> list[str]:
    if "enum" in node:
        return [str(v) for v in node["enum"]]
    if "const" in node:
        return [str(node["const"])]
    expected = str(ctx.get("expected", ""))
    return [v.strip().strip("'\"") for v in expected.replace(" or ", ",").split(",") if v.strip()]


def _sentence(model: type, error: dict) -> str:
    """One problem as a sentence naming the field in Chinese, e.g. 留言内容至少需要10个字."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, tuple(error.get("loc") or ())
    if kind == "extra_forbidden":
        return "不认识的字段：" + ".".join(str(p) for p in loc)
    name, node, field, owner = _walk(model, loc)
    if kind == "missing":
        return "必须填写：" + name
    unit = "个字符" if "pattern" in node else "个字"
    if kind == "string_too_short":
        n = ctx.get("min_length", node.get("minLength", 1))
        return f"{name}不能为空" if n <= 1 else f"{name}至少需要{n}{unit}"
    if kind == "string_too_long":
        return f"{name}最多{ctx.get('max_length', node.get('maxLength'))}{unit}"
    if kind == "too_short":
        n = ctx.get("min_length", node.get("minItems", 1))
        return f"{name}不能为空" if n <= 1 else f"{name}至少需要{n}项"
    if kind == "too_long":
        return f"{name}最多{ctx.get('max_length', node.get('maxItems'))}项"
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size", "greater_than_equal",
                "less_than_equal", "greater_than", "less_than") and node.get("type") == "integer":
        return name + _int_rule(node, ctx)
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name}不能小于{ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{name}不能大于{ctx.get('le', ctx.get('lt'))}"
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number"):
        return f"{name}必须是数字"
    if kind in ("literal_error", "enum"):
        return f"{name}不对，可选：" + "、".join(_choices(node, ctx))
    if kind in ("bool_parsing", "bool_type"):
        return f"{name}只能是 true 或 false"
    if kind in ("string_type", "string_sub_type", "string_unicode"):
        return f"{name}必须是字符串"
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return f"{name}必须是列表"
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type", "dataclass_type"):
        return f"{name}格式不对，应为 JSON 对象"
    if kind in ("json_invalid", "json_type"):
        return f"{name}不是合法的 JSON"
    if kind == "string_pattern_mismatch":
        from miniprogram_api.field_names import format_hint

        hint = format_hint(field, owner) if field else None
        return f"{name}格式不对" + (f"，{hint}" if hint else "")
    if kind in ("value_error", "assertion_error"):
        said = str(ctx.get("error", ""))
        if _has_chinese(said):  # a validator of ours said what is wrong (e.g. the ID-card check)
            return name + said
    return f"{name}格式不对"


def explain_validation_errors(model: type, errors: list[dict]) -> tuple[str, dict[str, str]]:
    """(message, fields) for pydantic's errors: `fields` maps each field's JSON key to what is wrong with
    it, in Chinese; the message says it all in a sentence or a few (missing and unknown fields grouped)."""
    fields: dict[str, str] = {}
    missing: list[str] = []
    unknown: list[str] = []
    others: list[str] = []
    for error in errors:
        loc = tuple(error.get("loc") or ())
        key = ".".join(str(p) for p in loc) or "body"
        try:
            sentence = _sentence(model, error)
        except Exception:  # noqa: BLE001 — an error shaped unlike any above is still a 400, not a 500
            sentence = "提交的内容格式不对"
        if key in fields:
            continue  # a field's first problem is the one to fix first
        fields[key] = sentence
        if error["type"] == "missing":
            missing.append(sentence.removeprefix("必须填写："))
        elif error["type"] == "extra_forbidden":
            unknown.append(sentence.removeprefix("不认识的字段："))
        else:
            others.append(sentence)
    parts = others + (["必须填写：" + "、".join(missing)] if missing else []) \
        + (["不认识的字段：" + "、".join(unknown)] if unknown else [])
    message = "；".join(parts[:_MAX_PARTS]) + (f"；等{len(parts)}处问题" if len(parts) > _MAX_PARTS else "")
    return message or "提交的内容有误", fields
