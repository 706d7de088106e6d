"""Prometheus metrics: the request-timing middleware and `GET /metrics` (text exposition format). The
metric objects the app and the bot record into are miniprogram_api/instruments.py.

With several app processes (APP_WORKERS > 1) each keeps its values in files under
PROMETHEUS_MULTIPROC_DIR (`govhall serve` makes a temporary one when unset); a scrape, answered by any
one worker, adds up every process's files. prometheus_client decides between the two modes when it is
first imported, so the variable must be set before that (the CLI sets it before forking the workers)."""
from __future__ import annotations

import hmac
import ipaddress
import os
import time

import structlog
from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from miniprogram_api.errors import DomainError, Forbidden
from miniprogram_api.http import http_status
from miniprogram_api.instruments import AGENT_QUEUE_LENGTH, HTTP_REQUEST_DURATION
from miniprogram_api.keys import SETTINGS
from miniprogram_api.models.handoff import Handoff

log = structlog.get_logger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
# What generate_latest writes (CONTENT_TYPE_LATEST names a newer format in recent prometheus_client).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def route_of(request: web.Request) -> str:
    """The route's template (`/api/v1/appointments/{id}`), never the raw path: a label per id would not end."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def metrics_middleware(request: web.Request, handler):
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except DomainError as exc:  # the error middleware, outside this one, answers it
        status = http_status(exc)
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        HTTP_REQUEST_DURATION.labels(request.method, route_of(request), str(status)).observe(
            time.perf_counter() - started)


def _registry():
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def scrape() -> bytes:
    """Every metric in the text exposition format: this process's, or all processes' in multiprocess mode."""
    return generate_latest(_registry())


def _loopback(remote: str | None) -> bool:
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def may_scrape(request: web.Request, token: str) -> bool:
    """From this machine, or with `Authorization: Bearer $METRICS_TOKEN`. A request a reverse proxy on this
    machine forwarded (it names the client) comes from 127.0.0.1 too, so it needs the token."""
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if _loopback(request.remote) and not proxied:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def _count_waiting_handoffs() -> None:
    try:
        AGENT_QUEUE_LENGTH.set(await Handoff.filter(status="waiting").count())
    except Exception as exc:  # noqa: BLE001 — without the database the other metrics are still worth a scrape
        log.warning("metrics_queue_count_failed", error=repr(exc))


async def metrics(request: web.Request) -> web.Response:
    if not may_scrape(request, request.app[SETTINGS].metrics_token):
        raise Forbidden("forbidden", "只能从本机或凭指标令牌读取运行指标")
    await _count_waiting_handoffs()
    return web.Response(body=scrape(), headers={"Content-Type": CONTENT_TYPE})


routes = web.RouteTableDef()
routes.get("/metrics")(metrics)
