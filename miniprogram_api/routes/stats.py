"""效能监察: the hall manager's figures as JSON and CSV, and the dashboard page that draws them."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from aiohttp import web

from miniprogram_api.auth import MANAGER, require_staff
from miniprogram_api.errors import Invalid, NotFound
from miniprogram_api.http import json_response
from miniprogram_api.keys import CLOCK, KNOWLEDGE
from miniprogram_api.openapi import Param, doc
from miniprogram_api.services import stats

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent.parent / "static"
PAGE = STATIC / "dashboard.html"
# ECharts, installed from the npm registry by scripts/bootstrap.sh (web/package.json pins it): served
# from here, never from a CDN.
ECHARTS = Path(__file__).resolve().parent.parent.parent / "web" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
DAY = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
PERIOD = (Param("from", DAY, description="开始日期（含），默认结束日期前29天"),
          Param("to", DAY, description="结束日期（含），默认今天"),
          Param("hall", {"type": "string", "maxLength": 8}, description="大厅编码：只统计该大厅的预约、爽约、评价和投诉"))


async def _stats(request: web.Request) -> dict:
    snap, now = await request.app[KNOWLEDGE].snapshot(), request.app[CLOCK].now()
    p = stats.period(request.query.get("from"), request.query.get("to"), request.query.get("hall"), snap,
                     now.date())
    return await stats.stats(p, snap, now)


@routes.get("/admin/stats")
@doc("效能统计：咨询量、热门事项、未答率、人工客服、预约、爽约、好差评、超期办件、投诉", "统计", response="Stats",
     auth="staff", query=PERIOD)
@require_staff(*MANAGER)
async def get_stats(request: web.Request) -> web.Response:
    return json_response(await _stats(request))


@routes.get("/admin/stats/export")
@doc("把统计中的一张表导出为 CSV（Excel 可直接打开）", "统计", media="text/csv", auth="staff",
     query=(*PERIOD, Param("table", {"type": "string", "enum": list(stats.TABLES)}, required=True)))
@require_staff(*MANAGER)
async def export(request: web.Request) -> web.Response:
    table = request.query.get("table", "")
    if table not in stats.TABLES:
        raise Invalid("invalid_parameter", "请选择要导出的表", {"table": "可选：" + "、".join(stats.TABLES)})
    figures = await _stats(request)
    header, rows = stats.table(figures, table)
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 Chinese correctly only with the byte-order mark
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    p = figures["period"]
    name = f"govhall-{table}-{p['from']}-{p['to']}{'-' + p['hall'] if p['hall'] else ''}.csv"
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.get("/admin/dashboard")
async def page(request: web.Request) -> web.Response:
    # The page holds no data; it signs in like the other staff pages and asks /admin/stats.
    return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")


@routes.get("/admin/echarts.min.js")
async def echarts(request: web.Request) -> web.StreamResponse:
    if not ECHARTS.exists():
        raise NotFound("not_installed", "图表库未安装：请运行 make run 或 bash scripts/bootstrap.sh")
    return web.FileResponse(ECHARTS, headers={"Content-Type": "application/javascript; charset=utf-8",
                                              "Cache-Control": "max-age=86400"})
