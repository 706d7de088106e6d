"""The hall's local time. One object per app so tests can move time for the rules that depend on it
(cancel deadlines, no-shows, reminders) without patching the standard library."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, fixed: datetime | None = None):
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(TZ)

    def set(self, moment: datetime | None) -> None:
        self._fixed = moment.astimezone(TZ) if moment is not None else None

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)
