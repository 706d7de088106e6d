"""Hall time slots from each hall's opening hours, windows and the holiday calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from knowledge.opening_hours import open_periods
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


def day_plan(hall: dict[str, Any], category: str, day: date, calendar: WorkCalendar) -> list[SlotPlan]:
    windows = sum(w["count"] for w in hall["windows"] if category in w["categories"])
    periods = open_periods(hall, day, calendar)
    if not windows or not periods:
        return []
    closing = datetime.combine(day, periods[-1].end, TZ) - STOP_BEFORE_CLOSE
    step = timedelta(minutes=SLOT_MINUTES)
    plan = []
    for period in periods:
        at, until = datetime.combine(day, period.start, TZ), min(datetime.combine(day, period.end, TZ), closing)
        while at + step <= until:
            plan.append(SlotPlan(at, at + step, max(1, round(windows * SEATS_PER_WINDOW * period.share))))
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
