"""好差评 and complaints: citizens rate and complain; staff answer follow-ups and complaints."""
from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from bot.conversation import conversation_or_raise
from bot.replies import complaint_answer
from miniprogram_api.auth import COMPLAINTS, MANAGER, require_citizen, require_staff
from miniprogram_api.digits import plain_digits
from miniprogram_api.errors import Invalid, NotFound
from miniprogram_api.http import bool_param, json_response, parse_body
from miniprogram_api.keys import CITIZEN, CLOCK, DELIVERY, KNOWLEDGE, NOTIFIER, STAFF
from miniprogram_api.openapi import POSITIVE, Param, doc
from miniprogram_api.services import pii, ratings

routes = web.RouteTableDef()
TICKET = {"type": "string", "pattern": "^[Tt][Ss][0-9]{12}$"}


class RatingBody(BaseModel, extra="forbid"):
    target_type: Literal["appointment", "application", "handoff"]
    target_id: int = Field(ge=1, le=2**31 - 1)
    level: int = Field(ge=1, le=5, description="1 非常满意 … 5 非常不满意")
    comment: str = Field(default="", max_length=500)


class ComplaintBody(BaseModel, extra="forbid"):
    category: Literal["服务态度", "办事效率", "材料要求", "系统故障", "其他"]
    text: str = Field(min_length=10, max_length=1000)
    hall_code: str | None = Field(default=None, min_length=1, max_length=8)
    window_code: str | None = Field(default=None, min_length=1, max_length=8)  # 3号窗口, A3, A


class AnswerBody(BaseModel, extra="forbid"):
    text: str = Field(min_length=2, max_length=1000)


def _status(request: web.Request, allowed: tuple[str, ...]) -> str | None:
    status = request.query.get("status")
    if status is not None and status not in allowed:
        raise Invalid("invalid_parameter", "状态参数不对", {"status": f"可选：{'、'.join(allowed)}"})
    return status


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not plain_digits(raw) or not 0 < int(raw) < 2**31:
        raise NotFound("follow_up_not_found", "没有找到这条回访")
    return int(raw)


@routes.post("/api/v1/ratings")
@doc("评价一项服务（每项服务只能评价一次；不满意及以下会有工作人员回访）", "好差评", body=RatingBody,
     response="Rating", status=(201,), auth="citizen")
@require_citizen
async def rate(request: web.Request) -> web.Response:
    body = await parse_body(request, RatingBody)
    rating, follow_up = await ratings.rate(await request.app[KNOWLEDGE].snapshot(), request[CITIZEN], body.target_type,
                                           body.target_id, body.level, body.comment, request.app[CLOCK].now())
    return json_response(ratings.rating_view(rating, follow_up), status=201)


@routes.get("/api/v1/ratings")
@doc("我的评价及回访答复", "好差评", response="RatingList", auth="citizen")
@require_citizen
async def mine(request: web.Request) -> web.Response:
    return json_response({"ratings": await ratings.citizen_ratings(request[CITIZEN])})


@routes.get("/admin/followups")
@doc("差评回访（须在5个工作日内答复）", "好差评", response="Object", auth="staff",
     query=(Param("status", {"type": "string", "enum": ["open", "answered", "closed"]}),
            Param("overdue", {"type": "string", "enum": ["true", "false", "1", "0"]})))
@require_staff(*MANAGER)
async def follow_ups(request: web.Request) -> web.Response:
    status = _status(request, ("open", "answered", "closed"))
    rows = await ratings.follow_ups(status, bool_param(request, "overdue"), request.app[CLOCK].now())
    return json_response({"follow_ups": rows})


@routes.post("/admin/followups/{id}/answer")
@doc("答复回访（群众收到通知）", "好差评", body=AnswerBody, response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*MANAGER)
async def answer_follow_up(request: web.Request) -> web.Response:
    body = await parse_body(request, AnswerBody)
    f = await ratings.answer_follow_up(request.app[NOTIFIER], _id(request), request[STAFF], body.text,
                                       request.app[CLOCK].now())
    return json_response(ratings.follow_up_view(f, request.app[CLOCK].now()))


@routes.post("/admin/followups/{id}/close")
@doc("关闭已答复的回访", "好差评", response="Object", auth="staff", path={"id": POSITIVE})
@require_staff(*MANAGER)
async def close_follow_up(request: web.Request) -> web.Response:
    return json_response(ratings.follow_up_view(await ratings.close_follow_up(_id(request)), request.app[CLOCK].now()))


@routes.post("/api/v1/complaints")
@doc("投诉（返回工单号）", "投诉", body=ComplaintBody, response="Complaint", status=(201,), auth="citizen")
@require_citizen
async def complain(request: web.Request) -> web.Response:
    body = await parse_body(request, ComplaintBody)
    c = await ratings.complain(await request.app[KNOWLEDGE].snapshot(), request[CITIZEN], body.category, body.text,
                               body.hall_code, body.window_code, request.app[CLOCK].now())
    return json_response(ratings.complaint_view(c), status=201)


@routes.get("/api/v1/complaints")
@doc("我的投诉及答复", "投诉", response="Object", auth="citizen")
@require_citizen
async def my_complaints(request: web.Request) -> web.Response:
    rows = await ratings.Complaint.filter(citizen=request[CITIZEN]).order_by("-id")
    return json_response({"complaints": [ratings.complaint_view(c) for c in rows]})


@routes.get("/admin/complaints")
@doc("投诉列表", "投诉", response="Object", auth="staff",
     query=(Param("status", {"type": "string", "enum": ["open", "answered", "closed"]}),))
@require_staff(*COMPLAINTS)
async def complaints(request: web.Request) -> web.Response:
    status = _status(request, ("open", "answered", "closed"))
    query = ratings.Complaint.all() if status is None else ratings.Complaint.filter(status=status)
    return json_response({"complaints": [pii.mask_fields(ratings.complaint_view(c), "text")
                                         for c in await query.order_by("id")]})


@routes.post("/admin/complaints/{ticket}/answer")
@doc("答复投诉（群众收到通知）", "投诉", body=AnswerBody, response="Complaint", auth="staff", path={"ticket": TICKET})
@require_staff(*COMPLAINTS)
async def answer_complaint(request: web.Request) -> web.Response:
    body = await parse_body(request, AnswerBody)
    c = await ratings.answer_complaint(request.app[NOTIFIER], request.match_info["ticket"], request[STAFF], body.text,
                                       request.app[CLOCK].now())
    if c.conversation_id is not None:  # made in chat: the answer goes there too
        await request.app[DELIVERY].to_citizen(await conversation_or_raise(c.conversation_id), "agent",
                                               complaint_answer(c.ticket, body.text))
    return json_response(ratings.complaint_view(c))


@routes.post("/admin/complaints/{ticket}/close")
@doc("关闭已答复的投诉", "投诉", response="Complaint", auth="staff", path={"ticket": TICKET})
@require_staff(*COMPLAINTS)
async def close_complaint(request: web.Request) -> web.Response:
    return json_response(ratings.complaint_view(await ratings.close_complaint(request.match_info["ticket"])))
