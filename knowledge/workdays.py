"""Working days under the holiday calendar: weekends and public holidays do not count, 调休 weekends do."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorkCalendar:
    special_days: dict[dt.date, bool] = field(default_factory=dict)  # date -> is a working day
    years: frozenset[int] = frozenset()

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_workday(self, day: dt.date) -> bool:
        return self.special_days.get(day, day.weekday() < 5)

    def add_workdays(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start`; the start day itself does not count (即办 = 0 → start)."""
        current = start
        remaining = days
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_workday(current)
        return count


async def load_calendar() -> WorkCalendar:
    from knowledge.models import CalendarDay

    rows = await CalendarDay.all()
    return WorkCalendar({r.day: r.is_workday for r in rows}, frozenset(r.year for r in rows))
