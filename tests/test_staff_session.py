"""Staff tokens stay out of URLs: pages sign in once for an HttpOnly, SameSite session cookie, the
console's WebSocket opens with a one-use ticket, and the access log redacts any secret in a query; every
response carries the security headers."""
from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request
from structlog.testing import capture_logs

from miniprogram_api.access_log import RedactingAccessLogger
from tests.api_helpers import expect_error, staff_headers


async def test_a_page_signs_in_once_and_then_works_with_its_cookie_alone(api):
    headers = await staff_headers("curator")
    await expect_error(await api.post("/admin/session", headers={"Authorization": "Bearer not-a-token"}), 401,
                       "unauthorized")
    resp = await api.post("/admin/session", headers=headers)
    assert resp.status == 200
    assert (await resp.json())["role"] == "curator"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert headers["Authorization"].split()[1] not in cookie
    whoami = await api.get("/admin/whoami")  # no Authorization header: the cookie
    assert (await whoami.json())["role"] == "curator"
    # The cookie carries the curator's role, no more.
    await expect_error(await api.get("/admin/console/queue"), 403, "forbidden")
    assert (await api.delete("/admin/session")).status == 200
    await expect_error(await api.get("/admin/whoami"), 401, "unauthorized")


async def test_a_stale_session_cookie_asks_to_sign_in_again(api):
    api.session.cookie_jar.update_cookies({"govhall_staff": "forged-or-expired"})
    await expect_error(await api.get("/admin/whoami"), 401, "session_expired")


async def test_the_console_websocket_takes_a_one_use_ticket_never_the_token(api):
    agent = await staff_headers("agent")
    token = agent["Authorization"].split()[1]
    try:
        await api.ws_connect(f"/admin/console/ws?token={token}")
        raise AssertionError("a token in the URL opened the WebSocket")
    except aiohttp.WSServerHandshakeError as exc:
        assert exc.status == 401
    ticket = (await (await api.post("/admin/console/ws-ticket", headers=agent)).json())["ticket"]
    ws = await api.ws_connect(f"/admin/console/ws?ticket={ticket}")
    await ws.close()
    try:
        await api.ws_connect(f"/admin/console/ws?ticket={ticket}")
        raise AssertionError("a used ticket opened a second WebSocket")
    except aiohttp.WSServerHandshakeError as exc:
        assert exc.status == 401
    curator = await staff_headers("curator")
    await expect_error(await api.post("/admin/console/ws-ticket", headers=curator), 403, "forbidden")


def test_the_access_log_redacts_tokens_tickets_and_wechat_signatures():
    request = make_mocked_request("GET", "/wechat?signature=abc123sig&timestamp=1&nonce=2&echostr=e9e9e9&openid=o1"
                                         "&msg_signature=ms77&token=tok55&ticket=tk66")
    response = aiohttp.web.Response(status=200)
    with capture_logs() as logs:
        RedactingAccessLogger(None, "").log(request, response, 0.012)  # type: ignore[arg-type]
    line = logs[0]
    assert line["status"] == 200 and line["path"].startswith("/wechat?")
    for secret in ("abc123sig", "e9e9e9", "ms77", "tok55", "tk66"):
        assert secret not in str(line)
    assert "timestamp=1" in line["path"] and "openid=o1" in line["path"]


@pytest.mark.parametrize("path", ["/admin/console", "/admin/curation", "/api/v1/openapi.json", "/healthz",
                                  "/no-such-page", "/admin/whoami"])
async def test_every_response_carries_the_security_headers_and_no_server_version(api, path):
    resp = await api.get(path)
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert resp.headers["Server"] == "govhall"
