"""Every staff route × every role: each desk of the hall does its own work only. An agent once could
move an application to 不予受理, close slots and read check-in codes."""
from __future__ import annotations

import re

import pytest

from miniprogram_api.models.staff import ROLES
from tests.api_helpers import staff_headers

# Who may call what, written out here rather than read from the code, so a route that changes hands
# fails this test. Admin may call everything.
ALLOWED = {
    "GET /admin/whoami": set(ROLES),
    "POST /admin/pii/reveal": set(ROLES),  # then by kind: tests/test_pii_masking.py
    "GET /admin/pii/reveals": set(),
    "POST /admin/nlu/try": {"curator"},
    "GET /admin/halls/{code}/bookings": {"manager"},
    "POST /admin/check-in": {"manager"},
    "POST /admin/appointments/{id}/check-in": {"manager"},
    "POST /admin/appointments/{id}/attendance": {"manager"},
    "POST /admin/slots/{slot_id}/close": {"manager"},
    "GET /admin/stats": {"manager"},
    "GET /admin/stats/export": {"manager"},
    "GET /admin/followups": {"manager"},
    "POST /admin/followups/{id}/answer": {"manager"},
    "POST /admin/followups/{id}/close": {"manager"},
    "GET /admin/complaints": {"manager", "agent"},
    "POST /admin/complaints/{ticket}/answer": {"manager", "agent"},
    "POST /admin/complaints/{ticket}/close": {"manager", "agent"},
    "POST /admin/applications": {"backoffice"},
    "GET /admin/applications": {"backoffice"},
    "GET /admin/applications/{number}": {"backoffice"},
    "POST /admin/applications/{number}/transitions": {"backoffice"},
    **{f"{m} /admin/console/{p}": {"agent"} for m, p in [
        ("GET", "queue"), ("GET", "handoffs/{id}"), ("POST", "handoffs/{id}/claim"), ("POST", "handoffs/{id}/messages"),
        ("POST", "handoffs/{id}/transfer"), ("POST", "handoffs/{id}/close"), ("GET", "conversations"),
        ("POST", "conversations/{id}/join"), ("GET", "agents"), ("GET", "quick-replies"), ("GET", "materials/{code}"),
        ("GET", "tickets"), ("POST", "tickets/{id}/answer"), ("POST", "tickets/{id}/contact"), ("POST", "ws-ticket")]},
    **{f"{m} /admin/curation/{p}": {"curator"} for m, p in [
        ("GET", "faq"), ("POST", "faq"), ("GET", "faq/{key}"), ("PATCH", "faq/{key}"), ("DELETE", "faq/{key}"),
        ("GET", "faq/{key}/history"), ("POST", "export"), ("GET", "inbox"), ("POST", "inbox/handle"), ("POST", "train"),
        ("GET", "runs"), ("GET", "runs/{id}"), ("GET", "models"), ("GET", "models/{id}/evaluation"),
        ("POST", "models/{id}/deploy"), ("POST", "models/{id}/rollback"), ("GET", "deployments")]},
}
# Pages carry no data (their calls are the routes above); the sign-in and the WebSocket check on their own.
NOT_ROLE_ROUTES = {"GET /admin/console", "GET /admin/curation", "GET /admin/console/ws", "POST /admin/session",
                   "DELETE /admin/session", "GET /admin/dashboard",
                   "GET /admin/staff-page.js", "GET /admin/echarts.min.js"}
SAMPLE = {"code": "SMZX", "id": "999999", "slot_id": "999999", "ticket": "TS202611240001",
          "number": "YX20261124999999", "key": "no_such_faq"}


def staff_routes(app) -> list[str]:
    found = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method != "HEAD" and path.startswith("/admin"):
            found.add(f"{route.method} {path}")
    return sorted(found - NOT_ROLE_ROUTES)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)


async def test_every_staff_route_is_in_the_roles_matrix(api):
    assert staff_routes(api.app) == sorted(ALLOWED)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_its_own_routes_only(api, role):
    headers = await staff_headers(role)
    for route in sorted(ALLOWED):
        method, path = route.split(" ", 1)
        resp = await api.request(method, concrete(path), json={}, headers=headers)
        body = await resp.json() if resp.content_type == "application/json" else {}
        if role == "admin" or role in ALLOWED[route]:
            assert resp.status not in (401, 403), (role, route, resp.status, body)
        else:
            assert resp.status == 403, (role, route, resp.status, body)
            assert body["error"]["code"] == "forbidden"


async def test_a_route_without_a_staff_token_is_401(api):
    for route in sorted(ALLOWED):
        method, path = route.split(" ", 1)
        resp = await api.request(method, concrete(path), json={})
        assert resp.status == 401, route
