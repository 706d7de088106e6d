"""好差评 once per service, follow-ups for bad ratings within 5 working days, and complaints."""
from __future__ import annotations

from miniprogram_api import housekeeping
from miniprogram_api.models.applications import Application, FollowUp
from miniprogram_api.models.booking import Appointment
from tests.api_helpers import expect_error, login, staff_headers
from tests.test_applications import create
from tests.test_booking import book, slots


async def test_rating_once_and_a_bad_one_opens_a_follow_up_staff_answer(api, fake_wechat):
    citizen = await login(api, "rater")
    me = await (await api.get("/api/v1/me", headers=citizen)).json()
    staff = await staff_headers()
    app = await create(api, staff, me["id"])
    target = (await Application.get(number=app["number"])).id
    resp = await api.post("/api/v1/ratings", headers=citizen,
                          json={"target_type": "application", "target_id": target, "level": 4, "comment": "等太久"})
    body = await resp.json()
    assert resp.status == 201 and body["label"] == "不满意"
    assert body["follow_up"]["due_date"] == "2026-12-01"  # Tue 11-24 + 5 working days
    await expect_error(await api.post("/api/v1/ratings", headers=citizen,
                                      json={"target_type": "application", "target_id": target, "level": 1}),
                       409, "already_rated")
    listed = await (await api.get("/admin/followups", params={"status": "open"}, headers=staff)).json()
    follow_up = listed["follow_ups"][0]
    await expect_error(await api.post(f"/admin/followups/{follow_up['id']}/close", headers=staff), 409, "follow_up_unanswered")
    answered = await api.post(f"/admin/followups/{follow_up['id']}/answer", headers=staff, json={"text": "已督办，明天办结"})
    assert (await answered.json())["status"] == "answered"
    assert (await api.post(f"/admin/followups/{follow_up['id']}/close", headers=staff)).status == 200
    mine = await (await api.get("/api/v1/ratings", headers=citizen)).json()
    assert mine["ratings"][0]["follow_up"]["answer"] == "已督办，明天办结"
    assert any(m["template_id"] == "service_reply" for m in fake_wechat.sent("/cgi-bin/message/subscribe/send"))


async def test_only_ones_own_service_can_be_rated_and_good_ratings_need_no_follow_up(api):
    staff = await staff_headers()
    app = await create(api, staff)
    target = (await Application.get(number=app["number"])).id
    stranger = await login(api, "stranger")
    await expect_error(await api.post("/api/v1/ratings", headers=stranger,
                                      json={"target_type": "application", "target_id": target, "level": 1}),
                       404, "service_not_found")
    owner = await login(api, "owner")
    await api.patch("/api/v1/me", json={"id_number": "11010119900307109X"}, headers=owner)
    body = await (await api.post("/api/v1/ratings", headers=owner,
                                 json={"target_type": "application", "target_id": target, "level": 1})).json()
    assert body["label"] == "非常满意" and body["follow_up"] is None
    await expect_error(await api.post("/api/v1/ratings", headers=owner,
                                      json={"target_type": "application", "target_id": target, "level": 6}),
                       400, "invalid_body")


async def test_a_complaint_gets_a_ticket_and_the_answer_reaches_the_citizen(api):
    citizen = await login(api, "complainer")
    staff = await staff_headers()
    await expect_error(await api.post("/api/v1/complaints", headers=citizen,
                                      json={"category": "服务态度", "text": "太差", "hall_code": "SMZX"}), 400, "invalid_body")
    await expect_error(await api.post("/api/v1/complaints", headers=citizen,
                                      json={"category": "服务态度", "text": "窗口工作人员一直在玩手机不理人", "hall_code": "SMZX",
                                            "window_code": "Z"}), 404, "window_not_found")
    resp = await api.post("/api/v1/complaints", headers=citizen, json={
        "category": "服务态度", "text": "窗口工作人员一直在玩手机不理人", "hall_code": "SMZX", "window_code": "B"})
    ticket = (await resp.json())["ticket"]
    assert resp.status == 201 and ticket.startswith("TS20261124")
    listed = await (await api.get("/admin/complaints", params={"status": "open"}, headers=staff)).json()
    assert [c["ticket"] for c in listed["complaints"]] == [ticket]
    assert (await api.post(f"/admin/complaints/{ticket}/answer", headers=staff,
                           json={"text": "已约谈该窗口人员并整改"})).status == 200
    mine = await (await api.get("/api/v1/complaints", headers=citizen)).json()
    assert mine["complaints"][0]["answer"] == "已约谈该窗口人员并整改"
    await expect_error(await api.post(f"/admin/complaints/{ticket}/answer", headers=staff, json={"text": "再答"}),
                       409, "complaint_not_open")


async def test_a_ticket_that_is_not_shaped_like_one_is_not_found_not_a_server_error(api):
    # "ß".upper() is "SS": a 20-character path grew past the column's length and used to give a 500.
    staff = await staff_headers()
    await expect_error(await api.post("/admin/complaints/" + "ß" * 20 + "/answer", headers=staff, json={"text": "已处理"}),
                       404, "complaint_not_found")
    await expect_error(await api.post("/admin/pii/reveal", headers=staff, json={"kind": "complaint", "ref": "TS\u0000"}),
                       404, "not_found")


async def test_only_an_appointment_the_citizen_came_to_can_be_rated(api):
    # checked_in is the one status where the service happened: booked is still to come, cancelled and
    # no_show never were, closed means the hall closed the slot.
    await housekeeping.run_once(api.app)
    citizen = await login(api, "appointment-rater")
    slot = (await slots(api, "2026-11-25"))[0]
    booked = await (await book(api, citizen, slot["id"])).json()
    target = booked["id"]
    for status in ("booked", "cancelled", "no_show", "closed"):
        await Appointment.filter(id=target).update(status=status)
        body = await expect_error(await api.post("/api/v1/ratings", headers=citizen,
                                                 json={"target_type": "appointment", "target_id": target, "level": 5}),
                                  409, "service_not_completed")
        assert "未办理的预约不能评价" in body["error"]["message"]
    assert not await FollowUp.exists()  # no 差评 of a service nobody gave opened a follow-up
    await expect_error(await api.post("/api/v1/ratings", headers=await login(api, "someone-else"),
                                      json={"target_type": "appointment", "target_id": target, "level": 1}),
                       404, "service_not_found")
    await Appointment.filter(id=target).update(status="checked_in")
    resp = await api.post("/api/v1/ratings", headers=citizen,
                          json={"target_type": "appointment", "target_id": target, "level": 1, "comment": "很快"})
    assert resp.status == 201 and (await resp.json())["label"] == "非常满意"
