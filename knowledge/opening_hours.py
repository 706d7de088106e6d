"""When a hall is open, and when people answer chats: one reading of the catalogue's opening hours for
the slot plan, the hand-off's agent hours and anything else that asks "is it open now?"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from knowledge.workdays import WorkCalendar


@dataclass(frozen=True)
class Period:
    start: time
    end: time
    share: float = 1.0  # of the windows open: 午间不打烊 keeps half of them at noon

    def holds(self, moment: time) -> bool:
        return self.start <= moment < self.end


def hours_for_day(hall: dict[str, Any], day: date, calendar: WorkCalendar) -> dict[str, Any] | None:
    """The day's entry of the hall's opening hours (am, pm, noon_service), or None when it is closed."""
    hours = hall.get("opening_hours") or {}
    if calendar.is_workday(day):
        return hours.get("weekdays")  # 调休 working weekends open like a weekday
    if day in calendar.special_days:
        return None  # a public holiday
    return hours.get("saturday") if day.weekday() == 5 else hours.get("sunday") if day.weekday() == 6 else None


def open_periods(hall: dict[str, Any], day: date, calendar: WorkCalendar) -> list[Period]:
    """The parts of the day the hall is open, in order: morning, noon service, afternoon."""
    entry = hours_for_day(hall, day, calendar)
    if not entry:
        return []
    parts = [(entry["am"], 1.0)] if entry.get("am") else []
    if entry.get("am") and entry.get("pm") and entry.get("noon_service"):
        parts.append(((entry["am"][1], entry["pm"][0]), 0.5))
    if entry.get("pm"):
        parts.append((entry["pm"], 1.0))
    return [Period(time.fromisoformat(a), time.fromisoformat(b), share) for (a, b), share in parts]


def parse_periods(spec: str) -> list[Period]:
    """"09:00-12:00,13:30-17:30" → two periods (agent hours as the deployment writes them)."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        a, _, b = part.partition("-")
        out.append(Period(time.fromisoformat(a.strip()), time.fromisoformat(b.strip())))
    return out
