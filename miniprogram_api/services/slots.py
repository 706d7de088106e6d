"""Hall time slots from each hall's opening hours, windows and the holiday calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from knowledge.service import Snapshot
from knowledge.workdays import WorkCalendar
from miniprogram_api.clock import TZ
from miniprogram_api.models.booking import Slot

SLOT_MINUTES = 30
SEATS_PER_WINDOW = 2  # booked citizens per window per half hour; the rest of a window's time is for walk-ins
BOOKABLE_DAYS = 7  # today and the six days after
BOOKING_CUTOFF = timedelta(hours=1)  # a slot can be booked, and cancelled, until an hour before it starts
STOP_BEFORE_CLOSE = timedelta(minutes=30)  # halls stop issuing numbers half an hour before closing


@dataclass(frozen=True)
class SlotPlan:
    starts_at: datetime
    ends_at: datetime
    capacity: int


def _hours_for_day(hall: dict[str, Any], day: date, calendar: WorkCalendar) -> dict[str, Any] | None:
    hours = hall["opening_hours"]
    if calendar.is_workday(day):
        return hours["weekdays"]  # 调休 working weekends open like a weekday
    if day in calendar.special_days:
        return None  # a public holiday
    return hours.get("saturday") if day.weekday() == 5 else hours.get("sunday") if day.weekday() == 6 else None


def _periods(period: dict[str, Any]) -> list[tuple[time, time, float]]:
    """(start, end, share of the windows open) for each part of the day."""
    parts = [(period["am"], 1.0)] if period.get("am") else []
    if period.get("am") and period.get("pm") and period.get("noon_service"):
        parts.append(((period["am"][1], period["pm"][0]), 0.5))  # 午间不打烊: windows take turns
    if period.get("pm"):
        parts.append((period["pm"], 1.0))
    return [(time.fromisoformat(a), time.fromisoformat(b), share) for (a, b), share in parts]


def day_plan(hall: dict[str, Any], category: str, day: date, calendar: WorkCalendar) -> list[SlotPlan]:
    windows = sum(w["count"] for w in hall["windows"] if category in w["categories"])
    hours = _hours_for_day(hall, day, calendar)
    if not windows or not hours:
        return []
    periods = _periods(hours)
    closing = datetime.combine(day, periods[-1][1], TZ) - STOP_BEFORE_CLOSE
    step = timedelta(minutes=SLOT_MINUTES)
    plan = []
    for start, end, share in periods:
        at, until = datetime.combine(day, start, TZ), min(datetime.combine(day, end, TZ), closing)
        while at + step <= until:
            plan.append(SlotPlan(at, at + step, max(1, round(windows * SEATS_PER_WINDOW * share))))
            at += step
    return plan


def bookable_days(today: date) -> list[date]:
    return [today + timedelta(days=n) for n in range(BOOKABLE_DAYS)]


def hall_categories(hall: dict[str, Any]) -> list[str]:
    return sorted({c for w in hall["windows"] for c in w["categories"]})


async def ensure_slots(snap: Snapshot, today: date) -> int:
    """Creates the missing slots of the bookable days; existing ones (and their bookings) are kept."""
    rows = [
        Slot(hall_code=hall["code"], category=category, day=day, starts_at=p.starts_at, ends_at=p.ends_at,
             capacity=p.capacity)
        for hall in snap.halls.values()
        for category in hall_categories(hall)
        for day in bookable_days(today)
        for p in day_plan(hall, category, day, snap.calendar)
    ]
    if not rows:
        return 0
    before = await Slot.filter(day__gte=today).count()
    await Slot.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return await Slot.filter(day__gte=today).count() - before
