"""Inputs an attacker sends that once gave HTTP 500: a JSON body nested 5000 deep, `?after=` beyond
64 bits, Unicode digits where a number goes. Each is now a clear 4xx."""
from __future__ import annotations

import pytest

from tests.api_helpers import login, staff_headers


@pytest.mark.parametrize("path", ["/api/v1/appointments", "/api/v1/chat/messages", "/api/v1/applications/query",
                                  "/api/v1/auth/login"])
async def test_a_json_body_nested_thousands_deep_is_a_400(api, path):
    headers = await login(api)
    resp = await api.post(path, data='{"a":' * 5000 + "1" + "}" * 5000, headers={**headers, "Content-Type": "application/json"})
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["error"]["message"]


@pytest.mark.parametrize("after", [str(2**64), str(2**63), "-1", "1e3", "٣"])
async def test_after_beyond_a_message_id_is_a_400(api, after):
    headers = await login(api)
    resp = await api.get("/api/v1/chat/messages", params={"after": after}, headers=headers)
    assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("raw", ["²", "١٢٣", "𝟙𝟚"])
async def test_unicode_digits_in_an_id_are_not_found_not_a_500(api, raw):
    citizen, manager = await login(api), await staff_headers("manager")
    for method, path, headers in [("GET", f"/api/v1/appointments/{raw}", citizen),
                                  ("POST", f"/api/v1/appointments/{raw}/cancel", citizen),
                                  ("POST", f"/admin/appointments/{raw}/check-in", manager),
                                  ("POST", f"/admin/followups/{raw}/answer", manager)]:
        resp = await api.request(method, path, json={}, headers=headers)
        assert 400 <= resp.status < 500, (path, resp.status)
