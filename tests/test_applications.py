"""Applications (办件): lifecycle and timeline, illegal transitions, promised dates over holidays,
overdue flags, masking, the citizen's view, the public query and its rate limit, notifications."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from miniprogram_api.clock import TZ
from miniprogram_api.errors import DomainError, RateLimited
from miniprogram_api.keys import CLOCK
from miniprogram_api.models.citizen import Notification
from miniprogram_api.services import applications
from tests.api_helpers import expect_error, login, staff_headers

pytestmark = pytest.mark.both_databases

ID = "11010119900307109X"
PASSPORT = "CRJ-001"  # promised in 7 working days


async def create(api, staff, citizen_id=None, item=PASSPORT, id_number=ID) -> dict:
    resp = await api.post("/admin/applications", headers=staff, json={
        "item_code": item, "applicant_name": "张三", "applicant_id_number": id_number, "channel": "hall",
        **({"citizen_id": citizen_id} if citizen_id else {})})
    body = await resp.json()
    assert resp.status == 201, body
    return body


async def move(api, staff, number, to, **extra):
    return await api.post(f"/admin/applications/{number}/transitions", headers=staff, json={"to": to, **extra})


async def test_the_lifecycle_is_a_timeline_and_the_citizen_is_told(api, fake_wechat):
    citizen = await login(api, "applicant")
    me = await (await api.get("/api/v1/me", headers=citizen)).json()
    staff = await staff_headers("backoffice")
    app = await create(api, staff, me["id"])
    assert app["number"].startswith("YX20261124") and app["status"] == "提交"
    assert app["applicant_id_number"] == "110101********109X"
    for to in ("受理", "审查", "办结", "送达"):
        resp = await move(api, staff, app["number"], to, note=f"{to}了")
        assert resp.status == 200, await resp.text()
    body = await (await api.get(f"/api/v1/applications/{app['number']}", headers=citizen)).json()
    assert [e["status"] for e in body["timeline"]] == ["提交", "受理", "审查", "办结", "送达"]
    assert ID not in await (await api.get("/api/v1/applications", headers=citizen)).text()
    progress = [m for m in fake_wechat.sent("/cgi-bin/message/subscribe/send") if m["template_id"] == "application_progress"]
    assert [m["data"]["phrase3"]["value"] for m in progress] == ["受理", "审查", "办结", "送达"]
    assert await Notification.filter(kind="progress").count() == 4


async def test_illegal_transitions_are_409_and_supplement_needs_the_list(api):
    staff = await staff_headers()
    number = (await create(api, staff))["number"]
    await expect_error(await move(api, staff, number, "办结"), 409, "illegal_transition")
    await expect_error(await move(api, staff, number, "补正"), 400, "materials_required")
    await expect_error(await move(api, staff, number, "不予受理"), 400, "reason_required")
    assert (await move(api, staff, number, "补正", materials=["户口簿复印件"])).status == 200
    await expect_error(await move(api, staff, number, "审查"), 409, "illegal_transition")
    assert (await move(api, staff, number, "不予受理", reason="不属于本机关职权范围")).status == 200
    body = await expect_error(await move(api, staff, number, "受理"), 409, "illegal_transition")
    assert "已终结" in body["error"]["message"]


async def test_the_promised_date_skips_the_national_day_holiday_and_overdue_is_flagged(api):
    staff = await staff_headers()
    api.app[CLOCK].set(datetime(2026, 9, 29, 10, 0, tzinfo=TZ))  # Tuesday before 国庆 (10-01..10-07, 10-10 works)
    number = (await create(api, staff))["number"]
    body = await (await move(api, staff, number, "受理")).json()
    # 7 working days after 09-29: 09-30, 10-08, 10-09, 10-10 (调休 Saturday), 10-12, 10-13, 10-14
    assert body["promised_date"] == "2026-10-14" and body["overdue"] is False
    api.app[CLOCK].set(datetime(2026, 10, 15, 9, 0, tzinfo=TZ))
    listed = await (await api.get("/admin/applications", params={"overdue": "true"}, headers=staff)).json()
    assert [a["number"] for a in listed["applications"]] == [number] and listed["applications"][0]["overdue"]


async def test_the_public_query_hides_wrong_pairs_and_backs_off_a_guessing_client(api):
    staff = await staff_headers("backoffice")
    number = (await create(api, staff))["number"]
    query = "/api/v1/applications/query"
    ok = await api.post(query, json={"number": number, "id_last4": "109x"})
    assert ok.status == 200 and (await ok.json())["status"] == "提交"
    wrong = await expect_error(await api.post(query, json={"number": number, "id_last4": "1234"}),
                               404, "application_not_found")
    missing = await expect_error(await api.post(query, json={"number": "YX20260101999999", "id_last4": "109X"}),
                                 404, "application_not_found")
    assert wrong == missing
    for _ in range(2):
        await api.post(query, json={"number": number, "id_last4": "0000"})
    # Three failures for this number from this client: a wait, doubling with each further failure.
    await expect_error(await api.post(query, json={"number": number, "id_last4": "109X"}), 429, "too_many_attempts")
    api.app[CLOCK].advance(timedelta(minutes=1))
    await expect_error(await api.post(query, json={"number": number, "id_last4": "0000"}), 404, "application_not_found")
    api.app[CLOCK].advance(timedelta(minutes=1))
    body = await expect_error(await api.post(query, json={"number": number, "id_last4": "109X"}), 429,
                              "too_many_attempts")
    assert "分钟后再试" in body["error"]["message"]
    api.app[CLOCK].advance(timedelta(minutes=1))
    assert (await api.post(query, json={"number": number, "id_last4": "109X"})).status == 200


async def test_guessers_cannot_lock_the_owner_out_and_numbers_do_not_follow_each_other(api):
    staff = await staff_headers("backoffice")
    owner = await login(api, "owner-q")
    owner_id = (await (await api.get("/api/v1/me", headers=owner)).json())["id"]
    numbers = [(await create(api, staff, citizen_id=owner_id))["number"] for _ in range(3)]
    sequence = sorted(int(n[-6:]) for n in numbers)
    assert sequence[2] - sequence[0] != 2, numbers  # not a daily sequence 1, 2, 3
    number, now = numbers[0], api.app[CLOCK].now()
    # A crowd of clients guessing the number's ID tail (one of them three times): none locks the number.
    for client in [1, 1, *range(1, 11)]:
        with pytest.raises(DomainError):
            await applications.query_progress(number, "0000", f"ip:10.0.0.{client}", now)
    assert (await applications.query_progress(number, "109X", "ip:10.9.9.9", now)).number == number
    # The guessing client is held back, but the logged-in owner is answered at once.
    with pytest.raises(RateLimited):
        await applications.query_progress(number, "109X", "ip:10.0.0.1", now)
    resp = await api.post("/api/v1/applications/query", json={"number": number, "id_last4": "0000"}, headers=owner)
    assert resp.status == 200, await resp.text()


async def test_a_typed_id_number_never_grants_access_only_the_back_office_link_does(api):
    staff = await staff_headers("backoffice")
    owner = await login(api, "owner")
    owner_id = (await (await api.get("/api/v1/me", headers=owner)).json())["id"]
    linked = (await create(api, staff, citizen_id=owner_id))["number"]
    unlinked = (await create(api, staff))["number"]  # the same ID number, taken at the window, no account
    # The attack: someone types the applicant's ID number into their own profile.
    stranger = await login(api, "stranger")
    assert (await api.patch("/api/v1/me", json={"id_number": ID}, headers=stranger)).status == 200
    listed = await (await api.get("/api/v1/applications", headers=stranger)).json()
    assert listed["applications"] == []
    for number in (linked, unlinked):
        await expect_error(await api.get(f"/api/v1/applications/{number}", headers=stranger), 404,
                           "application_not_found")
    # The owner sees the case the back office linked to them, and only that one.
    mine = await (await api.get("/api/v1/applications", headers=owner)).json()
    assert [a["number"] for a in mine["applications"]] == [linked]
    assert (await api.get(f"/api/v1/applications/{linked}", headers=owner)).status == 200
    # With a case linked, the ID number cannot be changed online (it is that person's number).
    await expect_error(await api.patch("/api/v1/me", json={"id_number": "110101199003071233"}, headers=owner),
                       409, "id_number_locked")
