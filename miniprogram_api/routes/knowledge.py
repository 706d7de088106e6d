"""Mini-program API over the knowledge base: search, item guides, materials, bundles, halls."""
from __future__ import annotations


from aiohttp import web

from knowledge.bundles import situation_of
from knowledge.service import KnowledgeService
from miniprogram_api.errors import ApiError
from miniprogram_api.http import int_param, json_response
from miniprogram_api.keys import KNOWLEDGE

MAX_QUERY_LENGTH = 100
routes = web.RouteTableDef()


def _kb(request: web.Request) -> KnowledgeService:
    return request.app[KNOWLEDGE]


def _query(request: web.Request) -> str | None:
    if "q" not in request.query:
        return None
    q = request.query["q"].strip()
    if not q:
        raise ApiError(400, "empty_query", "请输入要查询的事项名称或关键词", {"q": "must not be empty"})
    if len(q) > MAX_QUERY_LENGTH:
        raise ApiError(400, "query_too_long", f"查询内容太长了，请控制在{MAX_QUERY_LENGTH}个字以内",
                       {"q": f"at most {MAX_QUERY_LENGTH} characters"})
    return q


def _summary(item: dict) -> dict:
    return {"code": item["code"], "name": item["name"], "aliases": item["aliases"], "category": item["category"],
            "department": item["department"], "visits_text": item["visits_text"]}


@routes.get("/api/v1/items")
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
    code = request.match_info["code"]
    item = await _kb(request).item(code)
    if item is None:
        raise ApiError(404, "item_not_found", f"没有找到编码为 {code} 的事项", {"code": "unknown item code"})
    return item


@routes.get("/api/v1/items/{code}")
async def get_item(request: web.Request) -> web.Response:
    return json_response(await _item_or_404(request))


@routes.get("/api/v1/items/{code}/materials")
async def get_materials(request: web.Request) -> web.Response:
    item = await _item_or_404(request)
    keys = [s["key"] for s in item["situations"]]
    key = request.query.get("situation", "").strip()
    if not key:
        if len(keys) > 1:
            names = "、".join(s["name"] for s in item["situations"])
            raise ApiError(400, "situation_required", f"这个事项分几种情形（{names}），请选择一种",
                           {"situation": f"one of: {', '.join(keys)}"})
        key = keys[0]
    if key not in keys:
        raise ApiError(400, "unknown_situation", "没有这种办理情形", {"situation": f"one of: {', '.join(keys)}"})
    situation = situation_of(item, key)
    return json_response({"code": item["code"], "name": item["name"], "situation": {"key": key, "name": situation["name"]},
                          "materials": situation["materials"], "visits_text": item["visits_text"], "online": item["online"]})


@routes.get("/api/v1/bundles")
async def list_bundles(request: web.Request) -> web.Response:
    q = _query(request)
    snap = await _kb(request).snapshot()
    if q is None:
        return json_response({"bundles": list(snap.bundles.values())})
    hits = snap.index.search(q, limit=5, kind="bundle")
    return json_response({"query": q, "bundles": [{**snap.bundles[h.code], "score": h.score} for h in hits]})


@routes.get("/api/v1/bundles/{code}")
async def get_bundle(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    bundle = await _kb(request).bundle(code)
    if bundle is None:
        raise ApiError(404, "bundle_not_found", f"没有找到编码为 {code} 的“一件事”", {"code": "unknown bundle code"})
    return json_response(bundle)


@routes.get("/api/v1/halls")
async def list_halls(request: web.Request) -> web.Response:
    return json_response({"halls": list((await _kb(request).snapshot()).halls.values())})


@routes.get("/api/v1/halls/{code}")
async def get_hall(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    hall = (await _kb(request).snapshot()).halls.get(code.upper())
    if hall is None:
        raise ApiError(404, "hall_not_found", f"没有找到编码为 {code} 的大厅", {"code": "unknown hall code"})
    return json_response(hall)
