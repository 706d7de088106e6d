"""Mini-program API over the knowledge base: search, item guides, materials, bundles, halls."""
from __future__ import annotations

from aiohttp import web

from knowledge.service import KnowledgeService
from miniprogram_api.errors import Invalid, NotFound
from miniprogram_api.http import int_param, json_response
from miniprogram_api.keys import KNOWLEDGE
from miniprogram_api.openapi import Param, doc
from miniprogram_api.services.catalogue import chosen_situation, item_or_raise, situation_choices

MAX_QUERY_LENGTH = 100
routes = web.RouteTableDef()


def _kb(request: web.Request) -> KnowledgeService:
    return request.app[KNOWLEDGE]


def _query(request: web.Request) -> str | None:
    if "q" not in request.query:
        return None
    q = request.query["q"].strip()
    if not q:
        raise Invalid("empty_query", "请输入要查询的事项名称或关键词", {"q": "关键词不能为空"})
    if len(q) > MAX_QUERY_LENGTH:
        raise Invalid("query_too_long", f"查询内容太长了，请控制在{MAX_QUERY_LENGTH}个字以内",
                       {"q": f"最多{MAX_QUERY_LENGTH}个字"})
    return q


def _summary(item: dict) -> dict:
    return {"code": item["code"], "name": item["name"], "aliases": item["aliases"], "category": item["category"],
            "department": item["department"], "visits_text": item["visits_text"]}


@routes.get("/api/v1/items")
@doc("搜索或列出事项", "办事指南", response="ItemList",
     query=(Param("q", {"type": "string", "minLength": 1, "maxLength": 100}),
            Param("limit", {"type": "integer", "minimum": 1, "maximum": 100})))
async def list_items(request: web.Request) -> web.Response:
    q = _query(request)
    limit = int_param(request, "limit", 5 if q else 100, 1, 100)
    snap = await _kb(request).snapshot()
    if q is None:
        return json_response({"items": [_summary(i) for i in list(snap.items.values())[:limit]]})
    hits = snap.index.search(q, limit=limit, kind="item")
    return json_response({"query": q, "items": [{**_summary(snap.items[h.code]), "score": h.score,
                                                 "matched": h.matched, "situation": h.situation} for h in hits]})


async def _item_or_404(request: web.Request) -> dict:
    return item_or_raise(await _kb(request).snapshot(), request.match_info["code"], "code")


@routes.get("/api/v1/items/{code}")
@doc("事项办事指南全文", "办事指南", response="Item")
async def get_item(request: web.Request) -> web.Response:
    return json_response(await _item_or_404(request))


@routes.get("/api/v1/items/{code}/materials")
@doc("某一情形的申请材料", "办事指南", response="Materials",
     query=(Param("situation", {"type": "string"}, description="情形；多情形事项不传时返回可选情形"),))
async def get_materials(request: web.Request) -> web.Response:
    item = await _item_or_404(request)
    situation = chosen_situation(item, request.query.get("situation"))
    if situation is None:
        # Not an error: the mini-program shows the situations to pick from, as the bot asks.
        return json_response({"code": item["code"], "name": item["name"], "situation": None,
                              "situations": situation_choices(item),
                              "message": "这个事项分几种情形，请选择一种", "materials": [],
                              "visits_text": item["visits_text"], "online": item["online"]})
    return json_response({"code": item["code"], "name": item["name"],
                          "situation": {"key": situation["key"], "name": situation["name"]},
                          "materials": situation["materials"], "visits_text": item["visits_text"], "online": item["online"]})


@routes.get("/api/v1/bundles")
@doc("“一件事”列表或搜索", "办事指南", response="BundleList", query=(Param("q", {"type": "string", "minLength": 1, "maxLength": 100}),))
async def list_bundles(request: web.Request) -> web.Response:
    q = _query(request)
    snap = await _kb(request).snapshot()
    if q is None:
        return json_response({"bundles": list(snap.bundles.values())})
    hits = snap.index.search(q, limit=5, kind="bundle")
    return json_response({"query": q, "bundles": [{**snap.bundles[h.code], "score": h.score} for h in hits]})


@routes.get("/api/v1/bundles/{code}")
@doc("一件事及合并后的材料清单", "办事指南", response="Bundle")
async def get_bundle(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    bundle = await _kb(request).bundle(code)
    if bundle is None:
        raise NotFound("bundle_not_found", f"没有找到编码为 {code} 的“一件事”", {"code": "没有这个“一件事”编码"})
    return json_response(bundle)


@routes.get("/api/v1/halls")
@doc("大厅列表", "大厅", response="HallList")
async def list_halls(request: web.Request) -> web.Response:
    return json_response({"halls": list((await _kb(request).snapshot()).halls.values())})


@routes.get("/api/v1/halls/{code}")
@doc("大厅详情", "大厅", response="Hall")
async def get_hall(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    hall = (await _kb(request).snapshot()).halls.get(code.upper())
    if hall is None:
        raise NotFound("hall_not_found", f"没有找到编码为 {code} 的大厅", {"code": "没有这个大厅编码"})
    return json_response(hall)
