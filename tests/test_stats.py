"""效能监察 statistics: every figure of a fixture with known counts, on PostgreSQL and on SQLite, with the
period's edges at local midnight; the hall filter; bad periods; the CSV export."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from miniprogram_api.clock import TZ
from miniprogram_api.keys import CLOCK
from miniprogram_api.models.applications import Application, Complaint, FollowUp, Rating
from miniprogram_api.models.booking import Appointment, Slot
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.handoff import Handoff, Ticket
from tests.api_helpers import expect_error, staff_headers

pytestmark = pytest.mark.both_databases

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
ITEM = "MZ-001"  # 结婚登记, 云溪市民政局
OTHER = "ZJ-001"  # 云溪市住房和城乡建设局


def at(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=TZ)


async def _message(conversation, role: str, when: datetime, outcome: str | None = None, item: str | None = None):
    row = await TranscriptMessage.create(conversation=conversation, role=role, text="…", outcome=outcome, item_code=item)
    await TranscriptMessage.filter(id=row.id).update(created_at=when)


async def _questions():
    wechat = await Conversation.create(channel="wechat", user_id="oa-1")
    mini = await Conversation.create(channel="miniprogram", user_id="mp-1")
    await _message(wechat, "citizen", at(11, 2, 9), "answered", ITEM)
    await _message(wechat, "bot", at(11, 2, 9))  # the bot's own rows are not questions
    await _message(wechat, "citizen", at(11, 2, 23, 30), "answered", ITEM)  # 15:30 UTC: still the 2nd locally
    await _message(mini, "citizen", at(11, 3, 0, 10), "not_understood")  # 16:10 UTC on the 2nd: the 3rd locally
    await _message(mini, "citizen", at(11, 3, 10, 0), "out_of_scope")
    await _message(mini, "citizen", at(11, 3, 10, 5), "clarify", OTHER)
    await _message(mini, "citizen", at(11, 3, 10, 6), "handoff")
    await _message(mini, "citizen", at(11, 3, 10, 7), "person")
    await _message(wechat, "citizen", at(11, 24, 7, 30), "answered", ITEM)  # today: read from the transcript
    await _message(wechat, "citizen", at(10, 31, 23, 59), "answered", ITEM)  # before the period
    await _message(wechat, "citizen", at(12, 1, 0, 0), "answered", ITEM)  # after it


async def _handoffs():
    async def conversation(user: str):
        return await Conversation.create(channel="wechat", user_id=user)

    c1, c2, c3, c4, c0 = [await conversation(f"h-{i}") for i in range(1, 6)]
    await Handoff.create(conversation=c1, reason="asked", status="closed", requested_at=at(11, 3, 10, 6),
                         claimed_at=at(11, 3, 10, 7), closed_at=at(11, 3, 10, 30))
    await _message(c1, "agent", at(11, 3, 10, 9))  # first reply 120 s after the claim
    await _message(c1, "agent", at(11, 3, 10, 20))
    await Handoff.create(conversation=c2, reason="complaint", status="closed", requested_at=at(11, 5, 10),
                         claimed_at=at(11, 5, 10, 5), closed_at=at(11, 5, 11))
    await _message(c2, "agent", at(11, 5, 10, 5, 30))  # 30 s
    await Handoff.create(conversation=c3, reason="asked", status="expired", requested_at=at(11, 6),
                         closed_at=at(11, 6, 10, 10), closed_reason="unclaimed")
    await Handoff.create(conversation=c4, reason="agent_joined", status="closed", requested_at=at(11, 7),
                         claimed_at=at(11, 7), closed_at=at(11, 7, 11))
    await _message(c4, "agent", at(11, 7, 10, 30))
    await Handoff.create(conversation=c0, reason="asked", status="closed", requested_at=at(10, 30),
                         claimed_at=at(10, 30, 10, 1))
    for when, reason, status in ((at(11, 3, 20), "outside_hours", "open"), (at(11, 6, 10, 11), "unclaimed", "answered"),
                                 (at(11, 7, 21), "outside_hours", "answered"), (at(10, 1), "outside_hours", "open")):
        ticket = await Ticket.create(conversation=c3, text="留言", reason=reason, status=status)
        await Ticket.filter(id=ticket.id).update(created_at=when)


async def _bookings() -> dict[str, Citizen]:
    people = {name: await Citizen.create(openid=f"stats-{name}") for name in ("a", "b", "x", "y")}
    n = 0

    async def slot(hall: str, day: int, capacity: int, booked: int, closed: bool = False, month: int = 11, hour: int = 9):
        return await Slot.create(hall_code=hall, category="婚姻登记", day=date(2026, month, day),
                                 starts_at=at(month, day, hour), ends_at=at(month, day, hour, 30), capacity=capacity,
                                 booked=booked, closed=closed)

    async def appointment(citizen: Citizen, s: Slot, status: str, day: date | None = None) -> Appointment:
        nonlocal n
        n += 1
        return await Appointment.create(citizen=citizen, slot=s, item_code=ITEM, hall_code=s.hall_code,
                                        day=day or s.day, status=status, idempotency_key=f"k{n}",
                                        check_in_code=f"C{n:06d}")

    a10 = await slot("SMZX", 10, 4, 3)
    await slot("SMZX", 11, 4, 1)
    await slot("SMZX", 10, 4, 0, closed=True, hour=10)  # a closed slot offers no seats
    b10 = await slot("DHQ", 10, 2, 2)
    await slot("SMZX", 1, 9, 9, month=12)  # after the period
    people["appointments"] = [
        await appointment(people["a"], a10, "checked_in"),
        await appointment(people["b"], a10, "checked_in"),
        await appointment(people["x"], a10, "no_show"),
        await appointment(people["a"], a10, "cancelled"),
        await appointment(people["b"], b10, "checked_in"),
        await appointment(people["a"], b10, "booked"),
    ]
    # x missed two more within 90 days of the 24th (before the period): blocked. y missed three in
    # August, too long ago to block.
    for day in (date(2026, 10, 20), date(2026, 10, 25)):
        await appointment(people["x"], a10, "no_show", day)
    for day in (date(2026, 8, 1), date(2026, 8, 2), date(2026, 8, 3)):
        await appointment(people["y"], a10, "no_show", day)
    return people


async def _ratings(people):
    first, _, _, _, at_dhq, _ = people["appointments"]
    application = await Application.create(number="YX20261101000001", item_code=ITEM, applicant_name="张三",
                                           applicant_id_number="11010119900307109X", channel="hall")

    async def rate(target_type: str, target_id: int, level: int, when: datetime, citizen=people["a"]) -> Rating:
        return await Rating.create(citizen=citizen, target_type=target_type, target_id=target_id, level=level,
                                   created_at=when)

    await rate("appointment", first.id, 1, at(11, 10, 11))
    bad = await rate("appointment", at_dhq.id, 4, at(11, 10, 11))
    await FollowUp.create(rating=bad, due_date=date(2026, 11, 17), status="answered", answered_at=at(11, 16))
    late = await rate("application", application.id, 5, at(11, 11))
    await FollowUp.create(rating=late, due_date=date(2026, 11, 18), status="answered", answered_at=at(11, 19))
    await rate("handoff", 1, 2, at(11, 3, 11))
    open_one = await rate("handoff", 2, 4, at(11, 5, 12))
    await FollowUp.create(rating=open_one, due_date=date(2026, 11, 12))  # still open on the 24th: overdue
    await rate("handoff", 3, 5, at(10, 20))  # before the period


async def _applications():
    async def application(n: int, item: str, status: str, promised: date, completed: datetime | None = None):
        await Application.create(number=f"YX2026110200{n:04d}", item_code=item, applicant_name="李四",
                                 applicant_id_number="11010119900307109X", channel="hall", status=status,
                                 promised_date=promised, completed_at=completed)

    await application(1, ITEM, "受理", date(2026, 11, 20))  # still open after its day
    await application(2, ITEM, "办结", date(2026, 11, 21), at(11, 22, 9))  # finished a day late
    await application(3, OTHER, "办结", date(2026, 11, 12), at(11, 10))  # in time
    await application(4, OTHER, "审查", date(2026, 11, 28))  # not due yet on the 24th
    await application(5, OTHER, "受理", date(2026, 10, 15))  # late, but promised before the period


async def _complaints(people):
    n = 0

    async def complaint(category: str, hall: str | None, created: datetime, due: date, answered: datetime | None = None):
        nonlocal n
        n += 1
        await Complaint.create(ticket=f"TS2026110{n:05d}", citizen=people["a"], category=category, text="……",
                               hall_code=hall, created_at=created, due_date=due, answered_at=answered,
                               status="answered" if answered else "open")

    await complaint("服务态度", "SMZX", at(11, 3), date(2026, 11, 10), at(11, 7))
    await complaint("服务态度", "DHQ", at(11, 4), date(2026, 11, 11), at(11, 13))
    await complaint("办事效率", None, at(11, 5), date(2026, 11, 12))
    await complaint("其他", None, at(11, 20), date(2026, 11, 27))
    await complaint("其他", None, at(10, 20), date(2026, 10, 27))


@pytest.fixture
async def figures(api):
    await _questions()
    await _handoffs()
    people = await _bookings()
    await _ratings(people)
    await _applications()
    await _complaints(people)
    return await staff_headers("manager")


async def test_every_figure_of_a_month_matches_the_fixture(api, figures):
    resp = await api.get("/admin/stats", params=PERIOD, headers=figures)
    s = await resp.json()
    assert resp.status == 200, s
    assert s["period"] == {"from": "2026-11-01", "to": "2026-11-30", "hall": None, "today": "2026-11-24",
                           "hall_scoped": []}

    q = s["questions"]
    assert (q["total"], q["bot"], q["handed_off"]) == (8, 6, 2)
    assert q["by_day"] == [{"day": "2026-11-02", "channel": "wechat", "total": 2, "bot": 2, "handed_off": 0},
                           {"day": "2026-11-03", "channel": "miniprogram", "total": 5, "bot": 3, "handed_off": 2},
                           {"day": "2026-11-24", "channel": "wechat", "total": 1, "bot": 1, "handed_off": 0}]
    assert q["by_channel"] == {"wechat": {"total": 3, "bot": 3, "handed_off": 0},
                               "miniprogram": {"total": 5, "bot": 3, "handed_off": 2}}
    assert s["top_items"] == [{"item_code": ITEM, "name": "结婚登记", "count": 3},
                              {"item_code": OTHER, "name": s["top_items"][1]["name"], "count": 1}]
    assert s["fallback"] == {"messages": 7, "not_answered": 2, "share": 0.2857,
                             "by_kind": {"not_understood": 1, "out_of_scope": 1, "not_covered": 0}}

    h = s["handoff"]
    assert (h["requested"], h["claimed"], h["unclaimed"]) == (3, 2, 1)
    assert h["wait_seconds"] == {"n": 2, "median": 60.0, "p90": 300.0}
    assert h["first_response_seconds"] == {"n": 2, "median": 30.0, "p90": 120.0}
    assert h["tickets"] == {"total": 3, "outside_hours": 2, "unclaimed": 1, "answered": 2}

    b = s["bookings"]
    assert (b["made"], b["cancelled"], b["attended"], b["no_show"], b["pending"]) == (6, 1, 3, 1, 1)
    assert b["seats"] == {"capacity": 10, "booked": 6, "utilisation": 0.6}
    assert b["utilisation"] == [
        {"hall": "DHQ", "day": "2026-11-10", "capacity": 2, "booked": 2, "utilisation": 1.0},
        {"hall": "SMZX", "day": "2026-11-10", "capacity": 4, "booked": 3, "utilisation": 0.75},
        {"hall": "SMZX", "day": "2026-11-11", "capacity": 4, "booked": 1, "utilisation": 0.25}]
    assert s["no_show"] == {"total": 1, "blocked_citizens": 1, "blocked_on": "2026-11-24",
                            "by_day": [{"day": "2026-11-10", "count": 1}]}

    r = s["ratings"]
    assert r["total"] == 5
    assert {k: (v["total"], {lv: n for lv, n in v["levels"].items() if n}) for k, v in r["by_type"].items()} == {
        "appointment": (2, {"1": 1, "4": 1}), "application": (1, {"5": 1}), "handoff": (2, {"2": 1, "4": 1})}
    assert r["by_type"]["handoff"]["label"] == "人工客服" and r["levels"]["5"] == "非常不满意"
    assert r["follow_ups"] == {"total": 3, "answered": 2, "answered_in_time": 1, "overdue_open": 1,
                               "in_time_share": 0.3333}

    o = s["overdue"]
    assert (o["total"], o["promised"]) == (2, 4)
    assert o["by_item"] == [{"item_code": ITEM, "name": "结婚登记", "department": "云溪市民政局", "overdue": 2,
                             "still_open": 1, "finished_late": 1, "promised": 2}]
    assert o["by_department"] == [{"department": "云溪市民政局", "overdue": 2, "promised": 2}]

    c = s["complaints"]
    assert (c["total"], c["answered"], c["answered_in_time"], c["overdue_open"]) == (4, 2, 1, 1)
    assert {x["category"]: (x["total"], x["answered"], x["answered_in_time"], x["overdue_open"])
            for x in c["by_category"]} == {"服务态度": (2, 2, 1, 0), "办事效率": (1, 0, 0, 1), "其他": (1, 0, 0, 0)}


async def test_a_hall_sees_its_own_bookings_ratings_and_complaints(api, figures):
    s = await (await api.get("/admin/stats", params={**PERIOD, "hall": "smzx"}, headers=figures)).json()
    assert s["period"]["hall"] == "SMZX" and "bookings" in s["period"]["hall_scoped"]
    assert (s["bookings"]["made"], s["bookings"]["attended"], s["bookings"]["no_show"]) == (4, 2, 1)
    assert s["bookings"]["seats"] == {"capacity": 8, "booked": 4, "utilisation": 0.5}
    assert s["ratings"]["total"] == 1 and s["ratings"]["follow_ups"]["total"] == 0
    assert (s["complaints"]["total"], s["complaints"]["answered_in_time"]) == (1, 1)
    assert s["questions"]["total"] == 8  # citizens' messages belong to no hall


async def test_a_day_counts_from_local_midnight(api, figures):
    s = await (await api.get("/admin/stats", params={"from": "2026-11-02", "to": "2026-11-02"}, headers=figures)).json()
    assert s["questions"]["total"] == 2 and s["top_items"] == [{"item_code": ITEM, "name": "结婚登记", "count": 2}]


async def test_finished_days_are_counted_once_and_today_is_read_live(api, figures):
    from miniprogram_api.models.stats import MessageDay, RolledUpDay
    from miniprogram_api.services.stats import roll_up

    first = await (await api.get("/admin/stats", params=PERIOD, headers=figures)).json()
    # Every finished day of the period is counted (empty ones too), today and later days are not.
    assert await RolledUpDay.filter(day__gte=date(2026, 11, 1)).count() == 23
    assert not await RolledUpDay.filter(day__gte=date(2026, 11, 24)).exists()
    assert sum(await MessageDay.filter(day__gte=date(2026, 11, 1)).values_list("count", flat=True)) == 7
    assert await roll_up(api.app[CLOCK].now(), date(2026, 11, 1)) == 0  # nothing twice
    wechat = await Conversation.get(channel="wechat", user_id="oa-1")
    await _message(wechat, "citizen", at(11, 24, 9), "not_understood")  # a new message today counts at once
    again = await (await api.get("/admin/stats", params=PERIOD, headers=figures)).json()
    assert again["questions"]["total"] == first["questions"]["total"] + 1
    assert again["fallback"]["by_kind"]["not_understood"] == 2
    # Midnight passes: the 24th is rolled up by the housekeeping and reads the same.
    api.app[CLOCK].set(at(11, 25, 0, 11))
    assert await roll_up(api.app[CLOCK].now()) == 1
    later = await (await api.get("/admin/stats", params=PERIOD, headers=figures)).json()
    assert later["questions"] == again["questions"] and later["fallback"] == again["fallback"]


async def test_bad_periods_and_halls_are_refused_in_chinese(api):
    manager = await staff_headers("manager")
    for params, code in (({"from": "2026-13-01"}, "bad_date"), ({"from": "2026-11-30", "to": "2026-11-01"}, "bad_period"),
                         ({"from": "2025-01-01", "to": "2026-11-30"}, "period_too_long"), ({"hall": "NOPE"}, "hall_not_found")):
        await expect_error(await api.get("/admin/stats", params=params, headers=manager), 400, code)
    await expect_error(await api.get("/admin/stats/export", params={"table": "secrets"}, headers=manager), 400,
                       "invalid_parameter")


async def test_an_empty_period_has_every_key_and_no_division_by_zero(api):
    s = await (await api.get("/admin/stats", params={"from": "2020-01-01", "to": "2020-01-31"},
                             headers=await staff_headers("admin"))).json()
    assert {"questions", "top_items", "fallback", "handoff", "bookings", "no_show", "ratings", "overdue",
            "complaints"} <= set(s)
    assert s["fallback"]["share"] is None and s["handoff"]["wait_seconds"]["median"] is None


async def test_each_table_exports_as_csv_excel_opens(api, figures):
    resp = await api.get("/admin/stats/export", params={**PERIOD, "table": "questions"}, headers=figures)
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "govhall-questions-2026-11-01-2026-11-30.csv" in resp.headers["Content-Disposition"]
    body = await resp.text()
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows == [["日期", "渠道", "咨询消息", "机器人答复", "转人工"], ["2026-11-02", "wechat", "2", "2", "0"],
                    ["2026-11-03", "miniprogram", "5", "3", "2"], ["2026-11-24", "wechat", "1", "1", "0"]]
    from miniprogram_api.services.stats import TABLES

    for table in TABLES:
        resp = await api.get("/admin/stats/export", params={**PERIOD, "table": table}, headers=figures)
        assert resp.status == 200, table
        assert len(list(csv.reader(io.StringIO((await resp.text()).lstrip("\ufeff"))))) >= 2, table
