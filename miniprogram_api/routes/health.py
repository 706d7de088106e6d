"""GET /healthz: database, Redis and Rasa reported separately; a dependency being down is reported, not fatal."""
from __future__ import annotations

import asyncio
import time

from aiohttp import web
from tortoise import connections

from miniprogram_api.auth import require_staff
from miniprogram_api.http import json_response
from miniprogram_api.keys import RASA, REDIS, SETTINGS, STAFF
from miniprogram_api.openapi import doc

routes = web.RouteTableDef()
CHECK_TIMEOUT = 2.0


async def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), CHECK_TIMEOUT)
        result = {"ok": True, **(detail or {})}
    except Exception as exc:  # any failure of a dependency is a state to report
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@routes.get("/healthz")
@doc("数据库、Redis、Rasa 的状态", "运行", response="Health")
async def healthz(request: web.Request) -> web.Response:
    app = request.app

    async def database():
        await connections.get("default").execute_query("SELECT 1")
        return {"backend": app[SETTINGS].database_url.split(":", 1)[0]}

    async def redis():
        await app[REDIS].ping()
        return {"backend": "redis" if app[SETTINGS].redis_url else "in-process"}

    async def rasa():
        status = await app[RASA].status()
        return {"model": status.get("model_file"), "processes": status["processes"]}

    db_state, redis_state, rasa_state = await asyncio.gather(_timed(database), _timed(redis), _timed(rasa))
    # One Rasa process down still answers every citizen (the others take its conversations), but it is
    # a state to repair.
    all_rasa = rasa_state["ok"] and rasa_state["processes"].split("/")[0] == rasa_state["processes"].split("/")[1]
    status = "ok" if db_state["ok"] and redis_state["ok"] and all_rasa else "degraded"
    return json_response({"status": status, "database": db_state, "redis": redis_state, "rasa": rasa_state})


@routes.get("/admin/whoami")
@doc("当前工作人员账号", "工作人员", auth="staff")
@require_staff()
async def whoami(request: web.Request) -> web.Response:
    staff = request[STAFF]
    return json_response({"name": staff.name, "role": staff.role})
