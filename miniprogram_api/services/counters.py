"""Numbers handed out in order per day (queue numbers, application and complaint numbers). The
increment is a conditional UPDATE in the caller's transaction, so two workers never get the same one."""
from __future__ import annotations

from datetime import date

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from miniprogram_api.models.booking import DailyCounter


async def next_number(name: str, day: date, conn=None) -> int:
    await DailyCounter.get_or_create(name=name, day=day)  # its own short transaction: the row exists hereafter
    if conn is None:
        async with in_transaction() as own:
            return await next_number(name, day, own)
    await DailyCounter.filter(name=name, day=day).using_db(conn).update(issued=F("issued") + 1)
    return (await DailyCounter.get(name=name, day=day).using_db(conn)).issued
