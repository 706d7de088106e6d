"""Revealing a masked ID-card or phone number, and the audit log of who did."""
from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from miniprogram_api.auth import require_staff
from miniprogram_api.http import json_response, parse_body
from miniprogram_api.keys import STAFF
from miniprogram_api.openapi import doc
from miniprogram_api.services import pii

routes = web.RouteTableDef()


class RevealBody(BaseModel, extra="forbid"):
    kind: Literal["message", "ticket", "complaint", "question"]
    ref: str = Field(min_length=1, max_length=32)


@routes.post("/admin/pii/reveal")
@doc("查看被遮盖的身份证号、手机号原文（会记入审计日志）", "工作人员", body=RevealBody, response="Object", auth="staff")
@require_staff()  # which roles may see which kind is the service's rule (pii.REVEALABLE)
async def reveal(request: web.Request) -> web.Response:
    body = await parse_body(request, RevealBody)
    return json_response({"text": await pii.reveal(body.kind, body.ref, request[STAFF])})


@routes.get("/admin/pii/reveals")
@doc("查看原文的审计日志（最近200条）", "工作人员", response="Object", auth="staff")
@require_staff("admin")
async def reveals(request: web.Request) -> web.Response:
    return json_response({"reveals": await pii.reveals()})
