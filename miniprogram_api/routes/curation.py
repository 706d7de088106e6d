"""Curators' API: FAQ intents (with the conflict check and the audit trail), export to intents/,
and the inbox of questions the bot could not answer."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from bot import faq
from miniprogram_api.auth import CURATOR, require_staff
from miniprogram_api.http import json_response, parse_body
from miniprogram_api.keys import SETTINGS, STAFF
from miniprogram_api.openapi import Param, doc
from miniprogram_api.services import pii

routes = web.RouteTableDef()
PAGE = Path(__file__).resolve().parent.parent / "static" / "curation.html"
KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,47}$"}


class FaqBody(BaseModel, extra="forbid"):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    title: str = Field(min_length=1, max_length=50)
    examples: list[str] = Field(min_length=faq.MIN_EXAMPLES, max_length=200)
    answer: str = Field(min_length=1, max_length=2000)
    related_items: list[str] = Field(default_factory=list, max_length=20)
    enabled: bool = True


class FaqChangeBody(BaseModel, extra="forbid"):
    title: str | None = Field(default=None, min_length=1, max_length=50)
    examples: list[str] | None = Field(default=None, min_length=faq.MIN_EXAMPLES, max_length=200)
    answer: str | None = Field(default=None, min_length=1, max_length=2000)
    related_items: list[str] | None = Field(default=None, max_length=20)
    enabled: bool | None = None


class NewFaq(BaseModel, extra="forbid"):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    title: str = Field(min_length=1, max_length=50)
    answer: str = Field(min_length=1, max_length=2000)
    examples: list[str] = Field(default_factory=list, max_length=200)


class HandleBody(BaseModel, extra="forbid"):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=500)
    action: Literal["add_example", "new_faq", "dismiss"]
    faq_key: str | None = None
    new: NewFaq | None = None


def _who(request: web.Request) -> str:
    return request[STAFF].name


@routes.get("/admin/curation")
async def page(request: web.Request) -> web.Response:
    # The page holds no data; every call it makes carries the curator's token.
    return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")


@routes.get("/admin/curation/faq")
@doc("FAQ 列表（可搜索）", "FAQ 维护", response="Object", auth="staff", query=(Param("q", {"type": "string"}),))
@require_staff(*CURATOR)
async def list_faq(request: web.Request) -> web.Response:
    q = request.query.get("q", "").strip()
    rows = await faq.entries()
    if q:
        rows = [f for f in rows if q in f.key or q in f.title or q in f.answer or any(q in e for e in f.examples)]
    return json_response({"faq": [faq.faq_view(f) for f in rows]})


@routes.post("/admin/curation/faq")
@doc("新建 FAQ（问法与其他意图冲突时 409 并列出冲突）", "FAQ 维护", body=FaqBody, response="Object", status=(201,),
     auth="staff")
@require_staff(*CURATOR)
async def create_faq(request: web.Request) -> web.Response:
    body = await parse_body(request, FaqBody)
    return json_response(faq.faq_view(await faq.create(body.model_dump(), _who(request))), status=201)


@routes.get("/admin/curation/faq/{key:[a-z][a-z0-9_]{1,47}}")
@doc("一个 FAQ", "FAQ 维护", response="Object", auth="staff", path={"key": KEY})
@require_staff(*CURATOR)
async def get_faq(request: web.Request) -> web.Response:
    return json_response(faq.faq_view(await faq.get(request.match_info["key"])))


@routes.patch("/admin/curation/faq/{key:[a-z][a-z0-9_]{1,47}}")
@doc("修改 FAQ（含启用/停用；问法冲突时 409）", "FAQ 维护", body=FaqChangeBody, response="Object", auth="staff",
     path={"key": KEY})
@require_staff(*CURATOR)
async def update_faq(request: web.Request) -> web.Response:
    body = await parse_body(request, FaqChangeBody)
    changes = body.model_dump(exclude_none=True)
    return json_response(faq.faq_view(await faq.update(request.match_info["key"], changes, _who(request))))


@routes.delete("/admin/curation/faq/{key:[a-z][a-z0-9_]{1,47}}")
@doc("删除 FAQ", "FAQ 维护", response="Ok", auth="staff", path={"key": KEY})
@require_staff(*CURATOR)
async def delete_faq(request: web.Request) -> web.Response:
    await faq.delete(request.match_info["key"], _who(request))
    return json_response({"ok": True})


@routes.get("/admin/curation/faq/{key:[a-z][a-z0-9_]{1,47}}/history")
@doc("FAQ 的修改记录（谁、何时、修改前后）", "FAQ 维护", response="Object", auth="staff", path={"key": KEY})
@require_staff(*CURATOR)
async def faq_history(request: web.Request) -> web.Response:
    return json_response({"history": await faq.history(request.match_info["key"])})


@routes.post("/admin/curation/export")
@doc("导出 FAQ 到 intents/templates/faq.yml（内容相同则字节相同）", "FAQ 维护", response="Object", auth="staff")
@require_staff(*CURATOR)
async def export(request: web.Request) -> web.Response:
    return json_response(await faq.export(request.app[SETTINGS].faq_export_path))


@routes.get("/admin/curation/inbox")
@doc("没答上来的问题（按相似度分组计数）", "FAQ 维护", response="Object", auth="staff")
@require_staff(*CURATOR)
async def inbox(request: web.Request) -> web.Response:
    groups = await faq.inbox()
    for g in groups:
        pii.mask_fields(g, "text")
        g["examples"] = [pii.masked(e) for e in g["examples"]]
    return json_response({"groups": groups})


@routes.post("/admin/curation/inbox/handle")
@doc("处理收件箱里的一组问题：加为某 FAQ 的问法、新建 FAQ 或忽略", "FAQ 维护", body=HandleBody, response="Object",
     auth="staff")
@require_staff(*CURATOR)
async def handle(request: web.Request) -> web.Response:
    body = await parse_body(request, HandleBody)
    result = await faq.handle(body.ids, body.action, _who(request), body.faq_key,
                              body.new.model_dump() if body.new else None)
    return json_response({"handled": len(body.ids), "faq": faq.faq_view(result) if result else None})
