"""The hall's local time. One object per app so tests can move time for the rules that depend on it
(cancel deadlines, no-shows, reminders) without patching the standard library."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"


def day_text(day: date) -> str:
    """How every reply writes a day: 12月4日（周五）, never 12月04日."""
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def clock_text(moment: datetime) -> str:
    """9:30 (no leading zero, as the slot lists write it), in the hall's time."""
    local = moment.astimezone(TZ)
    return f"{local.hour}:{local:%M}"


def span_text(start: datetime, end: datetime) -> str:
    return f"{clock_text(start)}—{clock_text(end)}"


def moment_text(moment: datetime) -> str:
    """12月4日 9:30, in the hall's time."""
    local = moment.astimezone(TZ)
    return f"{local.month}月{local.day}日 {clock_text(local)}"


class Clock:
    def __init__(self, fixed: datetime | None = None):
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(TZ)

    def set(self, moment: datetime | None) -> None:
        self._fixed = moment.astimezone(TZ) if moment is not None else None

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)
