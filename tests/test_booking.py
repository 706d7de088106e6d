"""Booking hall slots through the mini-program API: every rule with its own error code, on
PostgreSQL and SQLite. Time is the fixed API clock (Tuesday 2026-11-24 08:00) moved by the tests."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from miniprogram_api import housekeeping
from miniprogram_api.clock import TZ
from miniprogram_api.keys import CLOCK
from miniprogram_api.models.booking import Appointment, Slot
from miniprogram_api.models.citizen import Notification
from tests.api_helpers import expect_error, login, staff_headers

pytestmark = pytest.mark.both_databases

PASSPORT = "CRJ-001"


@pytest.fixture
async def hall(api):
    await housekeeping.run_once(api.app)
    return api


async def slots(api, day: str | None = None, item: str = PASSPORT, hall_code: str = "SMZX") -> list[dict]:
    params = {"item_code": item, **({"day": day} if day else {})}
    resp = await api.get(f"/api/v1/halls/{hall_code}/slots", params=params)
    body = await resp.json()
    assert resp.status == 200, body
    return body["slots"]


async def book(api, headers, slot_id: int, item: str = PASSPORT, key: str | None = None):
    return await api.post("/api/v1/appointments", headers=headers,
                          json={"slot_id": slot_id, "item_code": item, "idempotency_key": key or uuid.uuid4().hex})


async def test_slots_cover_seven_days_and_today_only_from_an_hour_ahead(hall):
    hall.app[CLOCK].set(datetime(2026, 11, 24, 9, 10, tzinfo=TZ))
    listed = await slots(hall)
    days = sorted({s["day"] for s in listed})
    assert days[0] == "2026-11-24" and days[-1] == "2026-11-30"  # today and the six days after
    assert "2026-11-29" not in days  # Sunday: closed
    today = [s for s in listed if s["day"] == "2026-11-24"]
    assert today[0]["time_text"].startswith("10:30")  # 10:00 starts within the hour
    assert await slots(hall, "2026-12-20") == []  # beyond the seven open days
    await expect_error(await hall.get("/api/v1/halls/XCQ/slots", params={"item_code": PASSPORT}), 404, "item_not_at_hall")


async def test_booking_is_idempotent_and_shows_a_check_in_code(hall):
    headers = await login(hall)
    slot = (await slots(hall, "2026-11-25"))[0]
    first = await book(hall, headers, slot["id"], key="key-00000001")
    assert first.status == 201
    again = await book(hall, headers, slot["id"], key="key-00000001")
    assert again.status == 200
    assert (await again.json())["id"] == (await first.json())["id"]
    assert (await Slot.get(id=slot["id"])).booked == 1
    body = await first.json()
    assert body["status"] == "booked" and len(body["check_in_code"]) == 8
    other = (await slots(hall, "2026-11-26"))[0]
    await expect_error(await book(hall, headers, other["id"], key="key-00000001"), 409, "idempotency_conflict")


async def test_one_active_booking_per_item_per_day_and_three_in_all(hall):
    headers = await login(hall)
    day1 = await slots(hall, "2026-11-25")
    assert (await book(hall, headers, day1[0]["id"])).status == 201
    await expect_error(await book(hall, headers, day1[1]["id"]), 409, "duplicate_booking")
    assert (await book(hall, headers, (await slots(hall, "2026-11-26"))[0]["id"])).status == 201
    assert (await book(hall, headers, (await slots(hall, "2026-11-27"))[0]["id"])).status == 201
    await expect_error(await book(hall, headers, (await slots(hall, "2026-11-28"))[0]["id"]), 409, "too_many_bookings")
    mine = await (await hall.get("/api/v1/appointments", headers=headers)).json()
    assert len(mine["appointments"]) == 3


async def test_a_full_slot_refuses_and_its_seat_count_agrees(hall):
    slot = (await slots(hall, "2026-11-25"))[0]
    await Slot.filter(id=slot["id"]).update(capacity=1)
    assert (await book(hall, await login(hall, "a"), slot["id"])).status == 201
    await expect_error(await book(hall, await login(hall, "b"), slot["id"]), 409, "slot_full")
    assert await Appointment.filter(slot_id=slot["id"], status="booked").count() == 1
    assert slot["id"] not in [s["id"] for s in await slots(hall, "2026-11-25")]


async def test_cancel_until_an_hour_before_frees_the_seat(hall):
    headers = await login(hall)
    slot = (await slots(hall, "2026-11-24"))[0]  # 09:30 today
    booked = await (await book(hall, headers, slot["id"])).json()
    hall.app[CLOCK].set(datetime(2026, 11, 24, 8, 45, tzinfo=TZ))
    await expect_error(await hall.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=headers),
                       409, "cancel_too_late")
    hall.app[CLOCK].set(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    resp = await hall.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=headers)
    assert (await resp.json())["status"] == "cancelled"
    assert (await Slot.get(id=slot["id"])).booked == 0
    await expect_error(await hall.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=headers),
                       409, "not_cancellable")
    # Cancelling frees the item's day: booking it again that day is allowed.
    assert (await book(hall, headers, slot["id"])).status == 201


async def test_reschedule_keeps_the_old_booking_when_the_new_one_fails(hall):
    headers = await login(hall)
    old_slot, full_slot, free_slot = (await slots(hall, "2026-11-25"))[:3]
    old = await (await book(hall, headers, old_slot["id"])).json()
    await Slot.filter(id=full_slot["id"]).update(capacity=0)
    await expect_error(await hall.post(f"/api/v1/appointments/{old['id']}/reschedule", headers=headers,
                                       json={"slot_id": full_slot["id"], "idempotency_key": uuid.uuid4().hex}),
                       409, "slot_full")
    assert (await Appointment.get(id=old["id"])).status == "booked"
    assert (await Slot.get(id=old_slot["id"])).booked == 1
    resp = await hall.post(f"/api/v1/appointments/{old['id']}/reschedule", headers=headers,
                           json={"slot_id": free_slot["id"], "idempotency_key": uuid.uuid4().hex})
    new = await resp.json()
    assert resp.status == 201, new
    assert (await Appointment.get(id=old["id"])).status == "cancelled"
    assert new["status"] == "booked" and (await Slot.get(id=old_slot["id"])).booked == 0


async def test_three_no_shows_in_ninety_days_block_booking_for_thirty_days(hall):
    headers = await login(hall)
    for day in ("2026-11-25", "2026-11-26", "2026-11-27"):
        assert (await book(hall, headers, (await slots(hall, day))[0]["id"])).status == 201
    hall.app[CLOCK].set(datetime(2026, 11, 28, 8, 0, tzinfo=TZ))
    mine = await (await hall.get("/api/v1/appointments", headers=headers)).json()
    assert {a["status"] for a in mine["appointments"]} == {"no_show"}
    await housekeeping.run_once(hall.app)
    body = await expect_error(await book(hall, headers, (await slots(hall, "2026-11-30"))[0]["id"]), 403,
                              "booking_blocked")
    assert body["error"]["fields"]["blocked_until"] == "2026-12-27"
    assert "12月27日" in body["error"]["message"]


async def test_check_in_by_code_gives_queue_numbers_per_window(hall):
    staff = await staff_headers("manager")
    slot = (await slots(hall, "2026-11-24"))[0]
    codes = []
    for who in ("a", "b"):
        codes.append((await (await book(hall, await login(hall, who), slot["id"])).json())["check_in_code"])
    await expect_error(await hall.post("/admin/check-in", headers=staff, json={"code": codes[0]}), 409,
                       "check_in_too_early")
    hall.app[CLOCK].set(datetime(2026, 11, 24, 9, 20, tzinfo=TZ))
    first = await (await hall.post("/admin/check-in", headers=staff, json={"code": codes[0]})).json()
    second = await (await hall.post("/admin/check-in", headers=staff, json={"code": codes[1]})).json()
    assert (first["queue_number"], second["queue_number"]) == ("B001", "B002")  # 出入境 windows are B
    assert first["status"] == "checked_in"
    await expect_error(await hall.post("/admin/check-in", headers=staff, json={"code": "00000000"}), 404,
                       "invalid_check_in_code")
    await expect_error(await hall.post("/admin/check-in", json={"code": codes[0]}), 401, "unauthorized")


async def test_staff_see_the_day_mark_attendance_and_close_a_slot(hall, fake_wechat):
    staff = await staff_headers("manager")
    slot = (await slots(hall, "2026-11-25"))[0]
    citizen = await login(hall, "closing")
    booked = await (await book(hall, citizen, slot["id"])).json()
    day = await (await hall.get("/admin/halls/SMZX/bookings", params={"day": "2026-11-25"}, headers=staff)).json()
    assert [b["id"] for b in day["bookings"]] == [booked["id"]]
    await expect_error(await hall.post(f"/admin/appointments/{booked['id']}/attendance", headers=staff,
                                       json={"attended": False}), 409, "not_started")
    resp = await hall.post(f"/admin/slots/{slot['id']}/close", headers=staff, json={"reason": "系统升级"})
    assert (await resp.json())["cancelled_appointments"] == [booked["id"]]
    mine = await (await hall.get(f"/api/v1/appointments/{booked['id']}", headers=citizen)).json()
    assert mine["status"] == "closed"
    sent = fake_wechat.sent("/cgi-bin/message/subscribe/send")
    assert sent[-1]["template_id"] == "appointment_cancelled" and sent[-1]["touser"] == "wxa-openid-closing"
    await expect_error(await book(hall, citizen, slot["id"]), 409, "slot_closed")


async def test_reminder_the_day_before_is_sent_once(hall, fake_wechat):
    headers = await login(hall, "remind-me")
    booked = await (await book(hall, headers, (await slots(hall, "2026-11-25"))[0]["id"])).json()
    await housekeeping.run_once(hall.app)
    await housekeeping.run_once(hall.app)
    reminders = [m for m in fake_wechat.sent("/cgi-bin/message/subscribe/send") if m["template_id"] == "appointment_reminder"]
    assert len(reminders) == 1
    assert "护照" in reminders[0]["data"]["thing1"]["value"]
    note = await Notification.get(dedupe_key=f"reminder:{booked['id']}")
    assert note.status == "sent" and note.sent_at is not None


async def test_bad_requests_get_clear_errors(hall):
    headers = await login(hall)
    await expect_error(await hall.post("/api/v1/appointments", headers=headers, json={"slot_id": "x"}), 400,
                       "invalid_body")
    await expect_error(await book(hall, headers, 999999), 404, "slot_not_found")
    slot = (await slots(hall, "2026-11-25"))[0]
    await expect_error(await book(hall, headers, slot["id"], item="GA-001"), 409, "slot_not_for_item")
    await expect_error(await hall.post("/api/v1/appointments/123/cancel", headers=headers), 404, "appointment_not_found")
    await expect_error(await hall.get("/api/v1/halls/NOPE/slots", params={"item_code": PASSPORT}), 404, "hall_not_found")
