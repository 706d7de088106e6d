"""Applications (办件): the back office moves them; citizens follow theirs; anyone may query one."""
from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from miniprogram_api.auth import BACKOFFICE, bearer_token, require_citizen, require_staff
from miniprogram_api.errors import Invalid
from miniprogram_api.http import bool_param, json_response, parse_body
from miniprogram_api.keys import CITIZEN, CLOCK, KNOWLEDGE, NOTIFIER, REDIS, STAFF
from miniprogram_api.models.applications import STATUSES
from miniprogram_api.openapi import Param, doc
from miniprogram_api.services import applications
from miniprogram_api.services.citizens import citizen_for_token
from miniprogram_api.services.identity import valid_id_number

routes = web.RouteTableDef()
NUMBER = {"type": "string", "pattern": "^[Yy][Xx][0-9]{14}$"}


class CreateBody(BaseModel, extra="forbid"):
    item_code: str = Field(min_length=1, max_length=40)
    applicant_name: str = Field(min_length=1, max_length=50)
    applicant_id_number: str
    channel: Literal["hall", "online", "miniprogram", "wechat"]
    citizen_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @field_validator("applicant_id_number")
    @classmethod
    def _id(cls, v: str) -> str:
        if not valid_id_number(v):
            raise ValueError("不是有效的18位居民身份证号码")
        return v.upper()


class TransitionBody(BaseModel, extra="forbid"):
    to: Literal["受理", "审查", "办结", "送达", "补正", "不予受理"]
    note: str = Field(default="", max_length=500)
    materials: list[str] = Field(default_factory=list, max_length=30)
    reason: str = Field(default="", max_length=500)


class QueryBody(BaseModel, extra="forbid"):
    number: str = Field(pattern=r"^[Yy][Xx]\d{14}$")
    id_last4: str = Field(pattern=r"^\d{3}[\dXx]$")


def _number(request: web.Request) -> str:
    return request.match_info["number"]


async def _view(request: web.Request, a, staff: bool = False) -> dict:
    snap = await request.app[KNOWLEDGE].snapshot()
    return applications.application_view(a, snap, request.app[CLOCK].now(), await applications.timeline(a), staff)


@routes.post("/admin/applications")
@doc("新建办件（状态：提交）", "办件", body=CreateBody, response="Application", status=(201,), auth="staff")
@require_staff(*BACKOFFICE)
async def create(request: web.Request) -> web.Response:
    body = await parse_body(request, CreateBody)
    a = await applications.create(await request.app[KNOWLEDGE].snapshot(), body.item_code, body.applicant_name,
                                  body.applicant_id_number, body.channel, body.citizen_id, request[STAFF],
                                  request.app[CLOCK].now())
    return json_response(await _view(request, a, staff=True), status=201)


@routes.get("/admin/applications")
@doc("办件列表（可按状态、是否超期筛选）", "办件", response="ApplicationList", auth="staff",
     query=(Param("status", {"type": "string", "enum": list(STATUSES)}),
            Param("overdue", {"type": "string", "enum": ["true", "false", "1", "0"]})))
@require_staff(*BACKOFFICE)
async def staff_list(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        raise Invalid("invalid_parameter", "没有这种办件状态", {"status": f"可选：{'、'.join(STATUSES)}"})
    snap, now = await request.app[KNOWLEDGE].snapshot(), request.app[CLOCK].now()
    rows = await applications.staff_list(status, bool_param(request, "overdue"), now)
    return json_response({"applications": [applications.application_view(a, snap, now, staff=True) for a in rows]})


@routes.get("/admin/applications/{number:[Yy][Xx][0-9]{14}}")
@doc("办件详情与时间线", "办件", response="Application", auth="staff", path={"number": NUMBER})
@require_staff(*BACKOFFICE)
async def staff_get(request: web.Request) -> web.Response:
    return json_response(await _view(request, await applications.get(_number(request)), staff=True))


@routes.post("/admin/applications/{number:[Yy][Xx][0-9]{14}}/transitions")
@doc("变更办件状态（非法变更返回 409）", "办件", body=TransitionBody, response="Application", auth="staff",
     path={"number": NUMBER})
@require_staff(*BACKOFFICE)
async def move(request: web.Request) -> web.Response:
    body = await parse_body(request, TransitionBody)
    a = await applications.transition(await request.app[KNOWLEDGE].snapshot(), request.app[NOTIFIER], _number(request),
                                      body.to, request[STAFF], request.app[CLOCK].now(), body.note, body.materials,
                                      body.reason)
    return json_response(await _view(request, a, staff=True))


@routes.get("/api/v1/applications")
@doc("我的办件", "办件", response="ApplicationList", auth="citizen")
@require_citizen
async def mine(request: web.Request) -> web.Response:
    snap, now = await request.app[KNOWLEDGE].snapshot(), request.app[CLOCK].now()
    rows = await applications.of_citizen(request[CITIZEN])
    return json_response({"applications": [applications.application_view(a, snap, now) for a in rows]})


@routes.get("/api/v1/applications/{number:[Yy][Xx][0-9]{14}}")
@doc("我的一个办件与时间线", "办件", response="Application", auth="citizen", path={"number": NUMBER})
@require_citizen
async def mine_one(request: web.Request) -> web.Response:
    return json_response(await _view(request, await applications.owned_by(request[CITIZEN], _number(request))))


@routes.post("/api/v1/applications/query")
@doc("凭受理编号和申请人身份证后4位查询进度（猜错过多会被限制）", "办件", body=QueryBody, response="Application")
async def public_query(request: web.Request) -> web.Response:
    body = await parse_body(request, QueryBody)
    # Optional login: the owner of a linked case is answered without the guessing limits.
    citizen = await citizen_for_token(request.app[REDIS], token) if (token := bearer_token(request)) else None
    a = await applications.query_progress(body.number, body.id_last4, f"ip:{request.remote}", request.app[CLOCK].now(),
                                          citizen)
    return json_response(await _view(request, a))
