"""The OpenAPI 3 document, built from the running app's own routes: every documented handler carries
its description (`@doc`), request bodies are the pydantic models the handlers validate with, and a
test checks that no API route is left undocumented — so the document cannot drift from the handlers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from miniprogram_api.http import json_response


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class OpDoc:
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: str = "Object"  # a name in SCHEMAS
    status: tuple[int, ...] = (200,)
    auth: str | None = None  # "citizen" or "staff"
    query: tuple[Param, ...] = field(default_factory=tuple)
    path: dict[str, dict[str, Any]] = field(default_factory=dict)  # path parameter schemas
    media: str = "application/json"  # what a success returns (text/csv: a string, not a schema in SCHEMAS)


def doc(summary: str, tag: str, **kwargs: Any):
    """Describes a handler for the OpenAPI document (put it under the route decorator)."""
    meta = OpDoc(summary, tag, **kwargs)

    def attach(handler):
        handler.__openapi__ = meta
        return handler

    return attach


def _obj(*required: str, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": list(required)}
    if props:
        schema["properties"] = props
    return schema


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
POSITIVE = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
NULLABLE_STR = {"type": ["string", "null"]}
_ARRAY = lambda ref: {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}  # noqa: E731

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj("error", error=_obj("code", "message", "fields", code=STR, message=STR, fields={"type": "object"})),
    "Object": {"type": "object"},
    "Stats": _obj("period", "questions", "top_items", "fallback", "handoff", "bookings", "no_show", "ratings",
                  "overdue", "complaints"),
    "Ok": _obj("ok", ok=BOOL),
    "Health": _obj("status", "database", "redis", "rasa", status={"enum": ["ok", "degraded"]}),
    "Citizen": _obj("id", "name", "id_number", "phone", "linked_official_account", id=INT, name=STR, id_number=STR,
                    phone=STR, linked_official_account=BOOL),
    "Session": _obj("token", "expires_in", "citizen", token=STR, expires_in=INT,
                    citizen={"$ref": "#/components/schemas/Citizen"}),
    "ItemList": _obj("items", items={"type": "array", "items": _obj("code", "name", code=STR, name=STR)}),
    "Item": _obj("code", "name", "situations", code=STR, name=STR, situations={"type": "array"}),
    "Materials": _obj("code", "name", "situation", "materials", materials={"type": "array"},
                      situation={"type": ["object", "null"]}),
    "BundleList": _obj("bundles", bundles={"type": "array"}),
    "Bundle": _obj("code", "name", code=STR, name=STR),
    "HallList": _obj("halls", halls={"type": "array"}),
    "Hall": _obj("code", "name", "windows", code=STR, name=STR, windows={"type": "array"}),
    "Slot": _obj("id", "day", "starts_at", "ends_at", "capacity", "remaining", id=INT, day=STR, starts_at=STR,
                 ends_at=STR, capacity=INT, remaining=INT, closed=BOOL),
    "SlotList": _obj("hall_code", "item_code", "slots", slots=_ARRAY("Slot")),
    "Appointment": _obj("id", "status", "item_code", "hall_code", "day", "starts_at", "time_text", id=INT,
                        status={"enum": ["booked", "checked_in", "cancelled", "no_show", "closed"]},
                        check_in_code=NULLABLE_STR, queue_number=NULLABLE_STR),
    "AppointmentList": _obj("appointments", appointments=_ARRAY("Appointment")),
    "HallBookings": _obj("hall_code", "day", "bookings", bookings=_ARRAY("Appointment")),
    "SlotClosed": _obj("slot_id", "closed", "cancelled_appointments", cancelled_appointments={"type": "array", "items": INT}),
    "Message": _obj("id", "role", "text", id=INT, role={"enum": ["citizen", "bot", "agent", "system"]}, text=STR),
    "ChatTurn": _obj("replies", "events", "state", "messages", "last_id", replies={"type": "array"},
                     messages=_ARRAY("Message"), last_id=INT),
    "ChatMessages": _obj("messages", "last_id", "state", messages=_ARRAY("Message"), last_id=INT),
    "Application": _obj("number", "item_code", "status", "applicant_id_number", "overdue", number=STR,
                        status={"enum": ["提交", "受理", "审查", "办结", "送达", "补正", "不予受理"]}, overdue=BOOL),
    "ApplicationList": _obj("applications", applications=_ARRAY("Application")),
    "Rating": _obj("id", "target_type", "target_id", "level", "label", id=INT, level=INT, label=STR),
    "RatingList": _obj("ratings", ratings=_ARRAY("Rating")),
    "Complaint": _obj("ticket", "category", "text", "status", ticket=STR, status={"enum": ["open", "answered", "closed"]}),
    "Queue": _obj("waiting", "active", waiting={"type": "array"}, active={"type": "array"}),
    "Transcript": _obj("id", "status", "channel", "messages", messages=_ARRAY("Message")),
    "Delivered": _obj("delivered", delivered=BOOL, reason=NULLABLE_STR, message=STR),
    "NluTry": _obj("intent", "entities", "items", "replies"),
}

_SECURITY = {"citizen": [{"citizenSession": []}], "staff": [{"staffToken": []}]}


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def _operation(meta: OpDoc, path_params: list[str]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta.summary, "tags": [meta.tag], "responses": {}}
    params = [{"name": p, "in": "path", "required": True, "schema": meta.path.get(p, {"type": "string"})}
              for p in path_params]
    params += [{"name": q.name, "in": "query", "required": q.required, "schema": q.schema,
                **({"description": q.description} if q.description else {})} for q in meta.query]
    if params:
        op["parameters"] = params
    if meta.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _body_schema(meta.body)}}}
    success = ({"$ref": f"#/components/schemas/{meta.response}"} if meta.media == "application/json"
               else {"type": "string"})
    for status in meta.status:
        op["responses"][str(status)] = {"description": "OK" if status < 300 else "",
                                        "content": {meta.media: {"schema": success}}}
    # Every failure has the one error envelope, whatever its status.
    op["responses"]["default"] = {"description": "错误（统一的错误结构）",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if meta.auth:
        op["security"] = _SECURITY[meta.auth]
    return op


def documented_routes(app: web.Application):
    """(method, path, OpDoc or None) for every route of the app."""
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS", "*"):
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path:
            yield route.method.lower(), path, getattr(route.handler, "__openapi__", None)


def build_document(app: web.Application) -> dict[str, Any]:
    import re

    paths: dict[str, dict[str, Any]] = {}
    for method, path, meta in documented_routes(app):
        if meta is None:
            continue
        params = re.findall(r"\{(\w+)\}", path)
        paths.setdefault(path, {})[method] = _operation(meta, params)
    schemas = dict(SCHEMAS)
    for *_, meta in documented_routes(app):
        if meta and meta.body is not None:
            schemas.update(meta.body.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "govhall 政务服务中心 API", "version": "1.0.0",
                 "description": "小程序接口（/api/v1，小程序登录令牌）与工作人员接口（/admin，工作人员令牌）。"
                                "所有错误均为 {\"error\": {\"code\", \"message\", \"fields\"}}。"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "citizenSession": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/login 返回的 token"},
                "staffToken": {"type": "http", "scheme": "bearer", "description": "govhall staff add 打印的令牌"},
            },
        },
    }


routes = web.RouteTableDef()


@routes.get("/api/v1/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return json_response(build_document(request.app))
