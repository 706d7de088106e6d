"""The mini-program knowledge-base API, its errors, and /healthz — on both database backends."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from miniprogram_api.app import create_app
from miniprogram_api.config import Settings
from tests.api_helpers import expect_error


@pytest.fixture
async def client(seeded_db, redis_url):
    # Rasa is pointed at a closed port: at this stage /healthz must say so without failing.
    settings = Settings(database_url=seeded_db, redis_url=redis_url, rasa_url="http://127.0.0.1:9")
    app = create_app(settings, manage_db=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_search_ranks_the_expected_item_first(client):
    resp = await client.get("/api/v1/items", params={"q": "那个 嗯 我想办个护照要带啥"})
    assert resp.status == 200
    body = await resp.json()
    assert body["items"][0]["code"] == "CRJ-001"


async def test_search_handles_typo_traditional_and_english(client):
    for q, code in (("营业执造变更", "SC-003"), ("護照", "CRJ-001"), ("ID card lost", "GA-001"), ("身分证丢了", "GA-001")):
        body = await (await client.get("/api/v1/items", params={"q": q})).json()
        assert body["items"] and body["items"][0]["code"] == code, (q, body["items"][:2])


async def test_search_points_at_the_situation(client):
    body = await (await client.get("/api/v1/items", params={"q": "身份证丢了怎么补办"})).json()
    assert body["items"][0]["code"] == "GA-001"
    assert body["items"][0]["situation"] == "loss"


async def test_unrelated_query_finds_nothing(client):
    body = await (await client.get("/api/v1/items", params={"q": "今天天气怎么样"})).json()
    assert body["items"] == []


async def test_empty_and_overlong_queries_are_400(client):
    await expect_error(await client.get("/api/v1/items", params={"q": "  "}), 400, "empty_query")
    await expect_error(await client.get("/api/v1/items", params={"q": "护照" * 60}), 400, "query_too_long")
    await expect_error(await client.get("/api/v1/items", params={"q": "护照", "limit": "x"}), 400, "invalid_parameter")


async def test_item_guide_has_everything_a_citizen_asks(client):
    resp = await client.get("/api/v1/items/GA-001")
    assert resp.status == 200
    item = await resp.json()
    assert {s["key"] for s in item["situations"]} >= {"first", "renewal", "loss"}
    assert item["time_limit"]["promised_days"] <= item["time_limit"]["legal_days"]
    assert item["visits_text"] in ("最多跑一次", "全程网办（零跑动）")
    assert item["halls"] and item["halls"][0]["windows"]
    assert item["fee"]["free"] is False and "元" in item["fee"]["amount"]


async def test_unknown_codes_are_404_with_the_envelope(client):
    await expect_error(await client.get("/api/v1/items/XX-999"), 404, "item_not_found")
    await expect_error(await client.get("/api/v1/bundles/YJS-NOPE"), 404, "bundle_not_found")
    await expect_error(await client.get("/api/v1/halls/NOPE"), 404, "hall_not_found")
    await expect_error(await client.get("/api/v1/no-such-route"), 404, "not_found")


async def test_materials_of_one_situation(client):
    picker = await (await client.get("/api/v1/items/GA-001/materials")).json()
    assert picker["situation"] is None and picker["materials"] == []
    assert "loss" in [s["key"] for s in picker["situations"]]
    await expect_error(await client.get("/api/v1/items/GA-001/materials", params={"situation": "x"}), 404,
                       "situation_not_found")
    resp = await client.get("/api/v1/items/GA-001/materials", params={"situation": "loss"})
    body = await resp.json()
    assert body["situation"]["name"] == "遗失补领"
    assert all({"name", "form", "copies", "required", "rongque", "exempt"} <= set(m) for m in body["materials"])


async def test_bundle_merges_materials_without_repeats(client):
    resp = await client.get("/api/v1/bundles/YJS-KBQY")
    bundle = await resp.json()
    assert len(bundle["items"]) == 4
    names = [m["name"] for m in bundle["materials"]]
    assert len(names) == len(set(names))
    shared = [m for m in bundle["materials"] if len(m["used_by"]) > 1]
    assert shared, "开办企业 items share materials (e.g. the 营业执照 or the ID card): they must be merged"


async def test_bundle_search(client):
    body = await (await client.get("/api/v1/bundles", params={"q": "买二手房要办哪些手续"})).json()
    assert body["bundles"][0]["code"] == "YJS-ESF"


async def test_halls_are_listed(client):
    body = await (await client.get("/api/v1/halls")).json()
    assert {h["code"] for h in body["halls"]} == {"SMZX", "DHQ", "XCQ"}


async def test_healthz_reports_each_dependency(client, redis_url):
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["database"]["ok"] is True
    assert body["redis"] == {**body["redis"], "ok": True, "backend": "redis" if redis_url else "in-process"}
    assert body["rasa"]["ok"] is False and body["rasa"]["error"]
    assert body["status"] == "degraded"
