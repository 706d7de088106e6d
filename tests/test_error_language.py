"""Every API error speaks Chinese: pydantic's validation errors are translated (the field named by its
Chinese label from miniprogram_api/field_names.py), and no `fields` value is English prose. The JSON
keys of `fields` stay English so clients can still highlight the input."""
from __future__ import annotations

import importlib
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from miniprogram_api import field_names
from miniprogram_api.app import create_app
from miniprogram_api.config import Settings
from miniprogram_api.openapi import documented_routes
from tests.api_helpers import expect_error, login, staff_headers

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*")
# Not prose: formats, protocol words and acronyms the hall's staff use.
ALLOWED_WORDS = {"YYYY-MM-DD", "JSON", "FAQ", "Bearer", "true", "false", "YX"}


def _allowed_words() -> set[str]:
    """Codes a client sends verbatim: every enum of the bodies and query parameters, the hall and item
    codes of the demo catalogue."""
    words = set(ALLOWED_WORDS)

    def enums(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "enum":
                    words.update(str(v) for v in value)
                elif key == "const":
                    words.add(str(value))
                else:
                    enums(value)
        elif isinstance(node, list):
            for value in node:
                enums(value)

    for model in _body_models():
        enums(model.model_json_schema())
    for _, _, meta in documented_routes(create_app(Settings())):
        if meta is not None:
            for param in meta.query:
                enums(param.schema)

    for path in (ROOT / "knowledge" / "data").rglob("*.yaml"):
        words.update(re.findall(r"\b(?:code|key):\s*([A-Za-z0-9_-]+)", path.read_text(encoding="utf-8")))
    return words


def english_in(text: str, allowed: set[str]) -> list[str]:
    """Runs of 3+ ASCII letters in `text` that are not a whitelisted code or format, nor part of a URL path."""
    text = re.sub(r"/[A-Za-z0-9_/.{}-]+", " ", text)  # /api/v1/auth/dev-login and the like
    found = []
    for word in WORD.findall(text):
        if word in allowed or word.upper() in allowed:
            continue
        if re.search(r"[A-Za-z]{3,}", word):
            found.append(word)
    return found


def assert_chinese(body: dict, allowed: set[str] = frozenset(ALLOWED_WORDS)) -> None:
    error = body["error"]
    assert CJK.search(error["message"]), error
    assert not english_in(error["message"], allowed), error
    for key, value in error["fields"].items():
        if isinstance(value, str):
            assert not english_in(value, allowed), (key, value)


# --- the translation, through the API ----------------------------------------------------------------

async def test_a_too_short_complaint_text_names_the_field_in_chinese(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/complaints", headers=citizen,
                                             json={"category": "其他", "text": "太短了"}), 400, "invalid_body")
    assert body["error"]["message"] == "留言内容至少需要10个字"
    assert body["error"]["fields"] == {"text": "留言内容至少需要10个字"}
    assert_chinese(body)


async def test_a_missing_field_is_named_in_chinese(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/ratings", headers=citizen,
                                             json={"target_type": "appointment", "level": 1}), 400, "invalid_body")
    assert "必须填写：评价对象编号" in body["error"]["message"]
    assert body["error"]["fields"] == {"target_id": "必须填写：评价对象编号"}
    assert_chinese(body)


async def test_several_missing_fields_are_listed_together(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/complaints", headers=citizen, json={}), 400, "invalid_body")
    assert body["error"]["message"] == "必须填写：类别、留言内容"
    assert set(body["error"]["fields"]) == {"category", "text"}
    assert_chinese(body)


async def test_an_extra_field_is_called_unknown(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/complaints", headers=citizen,
                                             json={"category": "其他", "text": "窗口人员态度不好，等了很久", "foo": 1}),
                              400, "invalid_body")
    assert body["error"]["message"] == "不认识的字段：foo"
    assert body["error"]["fields"] == {"foo": "不认识的字段：foo"}
    assert_chinese(body, {*ALLOWED_WORDS, "foo"})


@pytest.mark.parametrize("level", ["很满意", 2.5, None])
async def test_a_wrong_type_names_the_field_and_the_rule(api, level):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/ratings", headers=citizen,
                                             json={"target_type": "appointment", "target_id": 1, "level": level}),
                              400, "invalid_body")
    assert body["error"]["fields"] == {"level": "评价等级必须是1到5之间的整数"}
    assert_chinese(body)


async def test_a_string_where_text_goes(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/complaints", headers=citizen,
                                             json={"category": "其他", "text": 12345678901}), 400, "invalid_body")
    assert body["error"]["fields"] == {"text": "留言内容必须是字符串"}
    assert_chinese(body)


@pytest.mark.parametrize("level", [0, 6, 99])
async def test_an_out_of_range_number(api, level):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/ratings", headers=citizen,
                                             json={"target_type": "appointment", "target_id": 1, "level": level}),
                              400, "invalid_body")
    assert body["error"]["message"] == "评价等级必须是1到5之间的整数"
    assert_chinese(body)


async def test_an_id_out_of_range_is_a_positive_integer(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/appointments", headers=citizen,
                                             json={"slot_id": 0, "item_code": "GA-001", "idempotency_key": "abcdefgh1"}),
                              400, "invalid_body")
    assert body["error"]["fields"] == {"slot_id": "时段编号必须是正整数"}
    assert_chinese(body)


async def test_a_bad_enum_lists_the_choices(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/complaints", headers=citizen,
                                             json={"category": "别的", "text": "窗口人员态度不好，等了很久"}),
                              400, "invalid_body")
    assert body["error"]["message"] == "类别不对，可选：服务态度、办事效率、材料要求、系统故障、其他"
    assert_chinese(body)
    body = await expect_error(await api.post("/api/v1/ratings", headers=citizen,
                                             json={"target_type": "hall", "target_id": 1, "level": 1}),
                              400, "invalid_body")
    assert body["error"]["fields"]["target_type"].startswith("评价对象类型不对，可选：appointment")
    assert_chinese(body, _allowed_words())


async def test_a_pattern_says_what_is_expected(api):
    body = await expect_error(await api.post("/api/v1/applications/query", json={"number": "123", "id_last4": "12345"}),
                              400, "invalid_body")
    assert body["error"]["fields"]["number"] == "受理编号格式不对，应为 YX 加14位数字"
    assert body["error"]["fields"]["id_last4"].startswith("身份证号后4位格式不对")
    assert_chinese(body)


async def test_a_custom_validator_keeps_its_chinese_message(api):
    citizen = await login(api)
    body = await expect_error(await api.patch("/api/v1/me", headers=citizen, json={"id_number": "110101"}),
                              400, "invalid_body")
    assert body["error"]["fields"] == {"id_number": "身份证号不是有效的18位居民身份证号码"}
    body = await expect_error(await api.patch("/api/v1/me", headers=citizen, json={"phone": "123"}), 400, "invalid_body")
    assert body["error"]["fields"] == {"phone": "手机号不是有效的11位手机号码"}
    assert_chinese(body)


async def test_nested_and_list_fields_are_named_by_their_path(api):
    curator = await staff_headers("curator")
    body = await expect_error(await api.post("/admin/curation/inbox/handle", headers=curator,
                                             json={"ids": [1, 0], "action": "new_faq", "new": {"key": "Bad Key"}}),
                              400, "invalid_body")
    fields = body["error"]["fields"]
    assert fields["ids.1"] == "问题记录编号第2项必须是正整数"
    assert fields["new.key"].startswith("新问题的问题编码格式不对")
    assert fields["new.title"] == "必须填写：新问题的标题"
    assert_chinese(body)


async def test_bad_json_and_query_parameters(api):
    citizen = await login(api)
    body = await expect_error(await api.post("/api/v1/complaints", headers={**citizen, "Content-Type": "application/json"},
                                             data="{not json"), 400, "invalid_json")
    assert_chinese(body)
    body = await expect_error(await api.get("/api/v1/items", params={"limit": "lots"}), 400, "invalid_parameter")
    assert body["error"]["message"] == "条数应为1到100之间的整数"
    assert_chinese(body)
    body = await expect_error(await api.get("/api/v1/appointments", params={"active": "maybe"}, headers=citizen),
                              400, "invalid_parameter")
    assert body["error"]["message"].startswith("是否只看未使用的预约应为")
    assert_chinese(body)


# --- every body field has a Chinese label -------------------------------------------------------------

def _models_in(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The model and the models nested in its fields (list items, Optionals)."""
    found = [model]

    def visit(tp):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found.extend(m for m in _models_in(tp) if m not in found)
        for arg in typing.get_args(tp):
            visit(arg)

    for info in model.model_fields.values():
        visit(info.annotation)
    return found


def _body_models() -> list[type[BaseModel]]:
    """Every model a route validates a body with (`parse_body(request, X)`) or documents as its body."""
    models: list[type[BaseModel]] = []
    for path in sorted((ROOT / "miniprogram_api" / "routes").glob("*.py")):
        module = importlib.import_module(f"miniprogram_api.routes.{path.stem}")
        for name in re.findall(r"parse_body\(request,\s*(\w+)\)", path.read_text(encoding="utf-8")):
            models.append(getattr(module, name))
    for _, _, meta in documented_routes(create_app(Settings())):
        if meta is not None and meta.body is not None:
            models.append(meta.body)
    out: list[type[BaseModel]] = []
    for model in models:
        out.extend(m for m in _models_in(model) if m not in out)
    return out


def test_the_body_models_are_found():
    names = {m.__name__ for m in _body_models()}
    assert {"ComplaintBody", "RatingBody", "BookBody", "CreateBody", "HandleBody", "NewFaq", "TryBody"} <= names
    assert len(names) >= 25


def test_every_body_field_has_a_chinese_label():
    missing = [f"{m.__name__}.{name}" for m in _body_models() for name in m.model_fields
               if not field_names.has_label(name, m.__name__)]
    assert missing == [], "add these to miniprogram_api/field_names.py"
    for model in _body_models():
        for name in model.model_fields:
            text = field_names.label(name, model.__name__)
            assert CJK.search(text) and not re.search(r"[A-Za-z]{3,}", text), (model.__name__, name, text)


def test_every_query_parameter_has_a_chinese_label():
    for _, path, meta in documented_routes(create_app(Settings())):
        for param in (meta.query if meta else ()):
            assert CJK.search(field_names.query_label(param.name)), (path, param.name)


# --- a scan: many bad requests, no English --------------------------------------------------------------

PATH_VALUES = {"id": "1", "number": "YX20261124000001", "key": "no_such_faq", "code": "SMZX", "ticket": "TS20261124001",
               "slot_id": "1"}
SKIP = {"/admin/curation/train"}  # would start a real training run


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


BAD_QUERIES = [
    ("/api/v1/items", {"limit": "0"}), ("/api/v1/items", {"limit": "abc"}), ("/api/v1/items", {"q": ""}),
    ("/api/v1/items", {"q": "办" * 300}), ("/api/v1/items/NO-SUCH-1", {}), ("/api/v1/items/GA-001/materials", {"situation": "不存在"}),
    ("/api/v1/bundles/NOPE", {}), ("/api/v1/halls/NOPE", {}), ("/api/v1/halls/SMZX/slots", {}),
    ("/api/v1/halls/SMZX/slots", {"item_code": "GA-001", "day": "tomorrow"}), ("/api/v1/halls/SMZX/slots", {"item_code": "NO-SUCH"}),
    ("/api/v1/appointments", {"active": "maybe"}), ("/api/v1/chat/messages", {"after": "-1"}),
    ("/api/v1/chat/messages", {"wait": "soon"}), ("/api/v1/chat/messages", {"wait": "999"}),
    ("/admin/applications", {"status": "done"}), ("/admin/applications", {"overdue": "yes"}),
    ("/admin/followups", {"status": "nope"}), ("/admin/complaints", {"status": "nope"}),
    ("/admin/halls/SMZX/bookings", {"day": "2026-13-40"}), ("/admin/stats", {"from": "yesterday"}),
    ("/admin/stats", {"from": "2026-11-24", "to": "2026-11-01"}), ("/admin/stats", {"from": "2024-01-01", "to": "2026-11-24"}),
    ("/admin/stats", {"hall": "NOPE"}), ("/admin/stats/export", {}), ("/admin/stats/export", {"table": "nope"}),
    ("/api/v1/appointments/999999", {}), ("/api/v1/applications/YX20261124999999", {}), ("/admin/whoami", {}),
]


async def test_a_scan_of_bad_requests_finds_no_english(api):
    allowed = _allowed_words() | {"text", "level", "ids", "kind", "NOPE", "NO-SUCH", "NO-SUCH-1"}  # echoed
    citizen, admin = await login(api), await staff_headers("admin")
    seen, problems = 0, []

    async def check(resp, what):
        nonlocal seen
        if resp.status < 400 or resp.content_type != "application/json":
            return
        body = await resp.json()
        seen += 1
        error = body["error"]
        if not CJK.search(error["message"]) or english_in(error["message"], allowed):
            problems.append((what, error["message"]))
        for key, value in error["fields"].items():
            if isinstance(value, str) and english_in(value, allowed):
                problems.append((what, key, value))

    for method, path, meta in documented_routes(api.app):
        if meta is None or path in SKIP or method not in ("post", "patch", "put", "delete") or meta.body is None:
            continue
        url = _concrete(path)
        headers = admin if path.startswith("/admin/") else citizen
        for body in ({}, {"x": 1}, {"text": 1, "level": "x", "ids": "x", "kind": "nope"}, []):
            resp = await api.request(method, url, json=body, headers=headers)
            await check(resp, (method, path, body))
        resp = await api.request(method, url, data="{oops", headers={**headers, "Content-Type": "application/json"})
        await check(resp, (method, path, "not json"))
        resp = await api.request(method, url, json={})  # nobody logged in
        await check(resp, (method, path, "anonymous"))
    for path, params in BAD_QUERIES:
        resp = await api.get(path, params=params, headers=admin if path.startswith("/admin/") else citizen)
        await check(resp, ("get", path, params))
    # A role that may not, a token that is not, a path that does not exist, a method not allowed.
    for method, path, headers in [("get", "/admin/applications", await staff_headers("agent")),
                                  ("get", "/admin/applications", {"Authorization": "Bearer nope"}),
                                  ("get", "/api/v1/me", {"Authorization": "Bearer nope"}),
                                  ("get", "/api/v1/me", {}), ("get", "/api/v1/nowhere", {}),
                                  ("put", "/api/v1/items", {}),
                                  ("post", "/admin/pii/reveal", await staff_headers("curator"))]:
        resp = await api.request(method, path, headers=headers, json={"kind": "message", "ref": "1"})
        await check(resp, (method, path, "auth"))
    assert seen > 150
    assert problems == [], "\n".join(map(str, problems))
