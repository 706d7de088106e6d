"""Mini-program login through code2session, sessions in Redis, the development login, masking."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from miniprogram_api.app import create_app
from miniprogram_api.config import Settings
from tests.api_helpers import expect_error, login

pytestmark = pytest.mark.both_redis


async def test_login_exchanges_the_code_and_the_same_user_gets_the_same_citizen(api, fake_wechat):
    first = await (await api.post("/api/v1/auth/login", json={"code": "alice"})).json()
    second = await (await api.post("/api/v1/auth/login", json={"code": "alice"})).json()
    assert first["citizen"]["id"] == second["citizen"]["id"]
    assert first["token"] != second["token"]
    assert fake_wechat.sent("/sns/jscode2session")[0]["appid"] == "wx-mini-app"
    me = await api.get("/api/v1/me", headers={"Authorization": "Bearer " + first["token"]})
    assert (await me.json())["id"] == first["citizen"]["id"]


async def test_unionid_links_the_citizen(api):
    body = await (await api.post("/api/v1/auth/login", json={"code": "union-bob"})).json()
    assert body["citizen"]["linked_official_account"] is True


async def test_bad_code_missing_token_and_logout(api):
    await expect_error(await api.post("/api/v1/auth/login", json={"code": "bad-code"}), 401, "invalid_code")
    await expect_error(await api.post("/api/v1/auth/login", json={}), 400, "invalid_body")
    await expect_error(await api.post("/api/v1/auth/login", data="not json"), 400, "invalid_json")
    await expect_error(await api.get("/api/v1/me"), 401, "unauthorized")
    headers = await login(api)
    assert (await api.post("/api/v1/auth/logout", headers=headers)).status == 200
    await expect_error(await api.get("/api/v1/me", headers=headers), 401, "session_expired")


async def test_dev_login_is_refused_when_wechat_is_configured(api):
    await expect_error(await api.post("/api/v1/auth/dev-login", json={"openid": "dev"}), 403, "dev_login_disabled")


async def test_dev_login_works_without_wechat_only_when_switched_on(seeded_db, redis_url):
    settings = Settings(database_url=seeded_db, redis_url=redis_url, rasa_url="http://127.0.0.1:9")
    async with TestClient(TestServer(create_app(settings, manage_db=False))) as client:
        # Deployed as is (no DEV_LOGIN), it would hand a session for any openid to anyone.
        await expect_error(await client.post("/api/v1/auth/dev-login", json={"openid": "dev-user"}),
                           403, "dev_login_disabled")
    settings = Settings(database_url=seeded_db, redis_url=redis_url, rasa_url="http://127.0.0.1:9", dev_login=True)
    async with TestClient(TestServer(create_app(settings, manage_db=False))) as client:
        resp = await client.post("/api/v1/auth/dev-login", json={"openid": "dev-user"})
        assert resp.status == 200
        await expect_error(await client.post("/api/v1/auth/login", json={"code": "x"}), 403, "wechat_not_configured")


async def test_profile_numbers_are_validated_and_masked(api):
    headers = await login(api)
    await expect_error(await api.patch("/api/v1/me", json={"id_number": "110101199003071235"}, headers=headers),
                       400, "invalid_body")
    resp = await api.patch("/api/v1/me", json={"name": "张三", "id_number": "11010119900307109x",
                                               "phone": "13812345678"}, headers=headers)
    body = await resp.json()
    assert resp.status == 200, body
    assert body["id_number"] == "110101********109X"
    assert body["phone"] == "138****5678"
    assert "1990" not in await (await api.get("/api/v1/me", headers=headers)).text()
