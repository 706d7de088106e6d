"""Small helpers for API tests."""
from __future__ import annotations


async def expect_error(resp, status: int, code: str) -> dict:
    body = await resp.json()
    assert resp.status == status, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body


async def login(client, code: str = "citizen-1") -> dict[str, str]:
    """Logs a citizen in through the (fake) WeChat and returns the Authorization header."""
    resp = await client.post("/api/v1/auth/login", json={"code": code})
    assert resp.status == 200, await resp.text()
    return {"Authorization": "Bearer " + (await resp.json())["token"]}


async def staff_headers(role: str = "admin", name: str | None = None) -> dict[str, str]:
    """A staff account made directly in the database the test's app uses."""
    import uuid

    from miniprogram_api.services.staff import add_staff

    _, token = await add_staff(name or f"staff-{uuid.uuid4().hex[:8]}", role)
    return {"Authorization": "Bearer " + token}
