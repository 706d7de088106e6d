"""Periodic work of a running app: tomorrow's slots exist, no-shows are marked, reminders go out,
yesterday's messages are counted for the statistics.
Each step is idempotent, so several app workers may run it side by side."""
from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from miniprogram_api.keys import CLOCK, HANDOFF, KNOWLEDGE, NOTIFIER
from miniprogram_api.services import booking, stats
from miniprogram_api.services.slots import ensure_slots

log = structlog.get_logger(__name__)

INTERVAL_SECONDS = 60


async def run_once(app: web.Application) -> None:
    now = app[CLOCK].now()
    snap = await app[KNOWLEDGE].snapshot()
    created = await ensure_slots(snap, now.date())
    no_shows = await booking.mark_no_shows(now)
    reminders = await booking.send_reminders(snap, app[NOTIFIER], now)
    handoffs = await app[HANDOFF].sweep()
    rolled_up = await stats.roll_up(now)  # yesterday's messages, counted once for the dashboard
    if created or no_shows or reminders or rolled_up or any(handoffs.values()):
        log.info("housekeeping", slots_created=created, no_shows=no_shows, reminders=reminders, days_rolled_up=rolled_up,
                 **handoffs)


async def loop(app: web.Application) -> None:
    while True:
        try:
            await run_once(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("housekeeping_failed")
        await asyncio.sleep(INTERVAL_SECONDS)
