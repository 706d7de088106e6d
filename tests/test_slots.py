"""Slots come from each hall's opening hours, windows and the holiday calendar."""
from __future__ import annotations

from datetime import date

import pytest

from knowledge.service import KnowledgeService
from miniprogram_api.clock import TZ
from miniprogram_api.services.slots import day_plan

pytestmark = pytest.mark.both_databases


@pytest.fixture
async def snap(seeded_db):
    return await KnowledgeService().snapshot()


def _times(plan):
    return [p.starts_at.astimezone(TZ).strftime("%H:%M") for p in plan]


async def test_a_weekday_has_half_hour_slots_until_half_an_hour_before_closing(snap):
    plan = day_plan(snap.halls["SMZX"], "出入境", date(2026, 11, 24), snap.calendar)
    times = _times(plan)
    assert times[0] == "09:00" and times[-1] == "16:30"
    assert "12:00" in times  # 午间不打烊 at the city centre …
    noon = next(p for p in plan if _times([p]) == ["12:00"])
    assert noon.capacity < plan[0].capacity  # … with half the windows
    assert plan[0].capacity == 10  # 5 出入境 windows × 2 booked seats
    assert "12:00" not in _times(day_plan(snap.halls["DHQ"], "出入境", date(2026, 11, 24), snap.calendar))


async def test_holidays_have_no_slots_and_working_weekends_do(snap):
    hall = snap.halls["SMZX"]
    assert day_plan(hall, "出入境", date(2026, 10, 1), snap.calendar) == []  # 国庆节, a Thursday
    assert day_plan(hall, "出入境", date(2026, 10, 3), snap.calendar) == []  # a Saturday inside the holiday
    assert _times(day_plan(hall, "出入境", date(2026, 9, 20), snap.calendar))[-1] == "16:30"  # 调休 Sunday
    assert day_plan(hall, "出入境", date(2026, 11, 29), snap.calendar) == []  # an ordinary Sunday
    saturday = _times(day_plan(hall, "出入境", date(2026, 11, 28), snap.calendar))
    assert saturday[0] == "09:00" and saturday[-1] == "11:00"  # Saturday morning only, numbers stop at 11:30
    assert day_plan(snap.halls["XCQ"], "公安户政", date(2026, 11, 28), snap.calendar) == []  # XCQ: weekdays only


async def test_no_slots_for_a_category_the_hall_has_no_window_for(snap):
    assert day_plan(snap.halls["XCQ"], "出入境", date(2026, 11, 24), snap.calendar) == []
