"""A year of a city's figures on PostgreSQL: how long `GET /admin/stats` takes to aggregate them.

    .venv/bin/python bench/stats_bench.py [--messages 1000000] [--bookings 100000] [--runs 5] [--keep]

Loads a fresh database (`govhall_statsbench` on TEST_POSTGRES_URL's server) with one year of synthetic
rows — transcript messages, bookings on the halls' slots, hand-offs, tickets, ratings and their
follow-ups, applications, complaints — with COPY, then times the stats service over the whole year.
Target (issue 17): a year's stats under one second with one million transcript rows and 100,000 bookings.
The first query of the year also counts every finished day's messages into message_day, once; it is
printed apart ("cold"), the others read those counts and only the last day's transcript.

The floor, measured in the same run on the same data: one bare sequential read of the transcript table
(`SELECT count(*)`), the least any figure over a year of messages has to do. The bench prints the
stats' time as a ratio to it, since absolute times vary 3-4x between machines of this kind."""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.service import KnowledgeService  # noqa: E402
from knowledge.store import import_path  # noqa: E402
from miniprogram_api.clock import TZ  # noqa: E402
from miniprogram_api.db import close_db, init_db, migrate_database  # noqa: E402
from miniprogram_api.services import stats  # noqa: E402

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NAME = "govhall_statsbench"
FIRST = date(2026, 1, 1)
DAYS = 365
HALLS = ("SMZX", "DHQ", "XCQ")
OUTCOMES = (("answered", 70), ("clarify", 8), ("not_understood", 8), ("out_of_scope", 4), ("not_covered", 2),
            ("handoff", 3), ("person", 5))


def url_of(name: str) -> str:
    base = SERVER.rsplit("/", 1)[0]
    return f"{base}/{name}"


def moment(rng: random.Random) -> datetime:
    day = FIRST + timedelta(days=rng.randrange(DAYS))
    return datetime(day.year, day.month, day.day, rng.randrange(7, 22), rng.randrange(60), rng.randrange(60), tzinfo=TZ)


async def load(conn: asyncpg.Connection, codes: list[str], messages: int, bookings: int, rng: random.Random) -> None:
    conversations = max(1, messages // 20)
    await conn.copy_records_to_table("conversation", columns=["id", "channel", "user_id", "state", "created_at", "updated_at"],
                                     records=[(i, "wechat" if i % 5 < 3 else "miniprogram", f"u{i}", "bot", moment(rng), moment(rng))
                                              for i in range(1, conversations + 1)])
    weighted = [o for o, w in OUTCOMES for _ in range(w)]
    rows = []
    for i in range(1, messages + 1):
        role = "citizen" if i % 2 else ("bot" if i % 20 else "agent")
        outcome = rng.choice(weighted) if role == "citizen" else None
        item = rng.choice(codes) if outcome in ("answered", "clarify") else None
        rows.append((i, rng.randrange(1, conversations + 1), role, "……", "{}", outcome, item, moment(rng)))
    await conn.copy_records_to_table("transcript_message", columns=["id", "conversation_id", "role", "text", "data", "outcome",
                                                                    "item_code", "created_at"], records=rows)
    slots, n = [], 0
    for d in range(DAYS):
        day = FIRST + timedelta(days=d)
        for hall in HALLS:
            for half in range(16):
                n += 1
                start = datetime(day.year, day.month, day.day, 9 + half // 2, 30 * (half % 2), tzinfo=TZ)
                slots.append((n, hall, "综合", day, start, start + timedelta(minutes=30), 10, rng.randrange(11), False, ""))
    await conn.copy_records_to_table("slot", columns=["id", "hall_code", "category", "day", "starts_at", "ends_at", "capacity",
                                                      "booked", "closed", "closed_reason"], records=slots)
    citizens = max(1, bookings // 3)
    await conn.copy_records_to_table("citizen", columns=["id", "openid", "name", "id_number", "phone", "created_at"],
                                     records=[(i, f"o{i}", "", "", "", moment(rng)) for i in range(1, citizens + 1)])
    statuses = ["checked_in"] * 70 + ["cancelled"] * 15 + ["no_show"] * 8 + ["booked"] * 5 + ["closed"] * 2
    appointments = []
    for i in range(1, bookings + 1):
        s = slots[rng.randrange(len(slots))]
        appointments.append((i, rng.randrange(1, citizens + 1), s[0], rng.choice(codes), s[1], s[3], rng.choice(statuses),
                             f"k{i}", f"C{i:09d}", moment(rng)))
    await conn.copy_records_to_table("appointment", columns=["id", "citizen_id", "slot_id", "item_code", "hall_code", "day",
                                                             "status", "idempotency_key", "check_in_code", "created_at"],
                                     records=appointments)
    handoffs, tickets = [], []
    for i in range(1, messages // 60 + 1):
        requested = moment(rng)
        claimed = requested + timedelta(seconds=rng.randrange(5, 900)) if i % 10 else None
        handoffs.append((i, rng.randrange(1, conversations + 1), "asked", "closed" if claimed else "expired", requested,
                         claimed, requested + timedelta(minutes=30), "agent" if claimed else "unclaimed"))
        if not claimed:
            tickets.append((len(tickets) + 1, handoffs[-1][1], "留言", rng.choice(("outside_hours", "unclaimed")),
                            rng.choice(("open", "answered")), "", False, requested))
    await conn.copy_records_to_table("handoff", columns=["id", "conversation_id", "reason", "status", "requested_at",
                                                         "claimed_at", "closed_at", "closed_reason"], records=handoffs)
    await conn.copy_records_to_table("ticket", columns=["id", "conversation_id", "text", "reason", "status", "answer",
                                                        "delivered", "created_at"], records=tickets)
    ratings, follow_ups = [], []
    for i in range(1, bookings // 3 + 1):
        level = rng.choice((1, 1, 1, 1, 2, 2, 3, 4, 5))
        kind = rng.choice(("appointment", "application", "handoff"))
        created = moment(rng)
        ratings.append((i, rng.randrange(1, citizens + 1), kind, i, level, "", created))
        if level >= 4:
            due = created.date() + timedelta(days=7)
            answered = created + timedelta(days=rng.randrange(1, 10)) if rng.random() < 0.9 else None
            follow_ups.append((len(follow_ups) + 1, i, due, "answered" if answered else "open", "", answered))
    await conn.copy_records_to_table("rating", columns=["id", "citizen_id", "target_type", "target_id", "level", "comment",
                                                        "created_at"], records=ratings)
    await conn.copy_records_to_table("follow_up", columns=["id", "rating_id", "due_date", "status", "answer", "answered_at"],
                                     records=follow_ups)
    applications = []
    for i in range(1, bookings // 2 + 1):
        accepted = moment(rng)
        promised = accepted.date() + timedelta(days=rng.randrange(1, 30))
        done = accepted + timedelta(days=rng.randrange(1, 35)) if rng.random() < 0.85 else None
        applications.append((i, f"YX{i:014d}", rng.choice(codes), "张三", "11010119900307109X", "hall",
                             "办结" if done else rng.choice(("受理", "审查", "补正")), promised, done, "[]", "", accepted, accepted))
    await conn.copy_records_to_table("application", columns=["id", "number", "item_code", "applicant_name",
                                                             "applicant_id_number", "channel", "status", "promised_date",
                                                             "completed_at", "supplement", "reason", "created_at", "updated_at"],
                                     records=applications)
    complaints = []
    for i in range(1, bookings // 20 + 1):
        created = moment(rng)
        answered = created + timedelta(days=rng.randrange(0, 12)) if rng.random() < 0.9 else None
        complaints.append((i, f"TS{i:014d}", rng.randrange(1, citizens + 1), rng.choice(("服务态度", "办事效率", "材料要求", "其他")),
                           "……", rng.choice(HALLS), "answered" if answered else "open", "", answered,
                           created.date() + timedelta(days=7), created))
    await conn.copy_records_to_table("complaint", columns=["id", "ticket", "citizen_id", "category", "text", "hall_code",
                                                           "status", "answer", "answered_at", "due_date", "created_at"],
                                     records=complaints)
    await conn.execute("ANALYZE")


async def timed(make) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    admin = await asyncpg.connect(SERVER)
    await admin.execute(f'DROP DATABASE IF EXISTS "{NAME}"')
    await admin.execute(f'CREATE DATABASE "{NAME}"')
    conn = None
    try:
        url = url_of(NAME)
        await migrate_database(url)
        knowledge = KnowledgeService()
        conn = await asyncpg.connect(url)
        started = time.perf_counter()
        await init_db(url)
        await import_path(ROOT / "knowledge" / "data")
        snap = await knowledge.snapshot()
        await load(conn, sorted(snap.items), args.messages, args.bookings, random.Random(17))
        print(f"loaded {args.messages:,} transcript rows, {args.bookings:,} bookings and the rest in "
              f"{time.perf_counter() - started:.1f} s")
        now = datetime(2026, 12, 31, 18, tzinfo=TZ)
        year = stats.period(FIRST.isoformat(), (FIRST + timedelta(days=DAYS - 1)).isoformat(), None, snap, now.date())
        hall = stats.period(FIRST.isoformat(), (FIRST + timedelta(days=DAYS - 1)).isoformat(), "SMZX", snap, now.date())
        month = stats.period("2026-11-01", "2026-11-30", None, snap, now.date())
        # The first query of a year counts every finished day's messages once into message_day (a running
        # app's housekeeping does this each night, so a manager meets only the warm figures below).
        cold = await timed(lambda: stats.stats(year, snap, now))
        floors, years, halls, months = [], [], [], []
        for _ in range(args.runs):
            floors.append(await timed(lambda: conn.fetchval("SELECT count(*) FROM transcript_message")))
            years.append(await timed(lambda: stats.stats(year, snap, now)))
            halls.append(await timed(lambda: stats.stats(hall, snap, now)))
            months.append(await timed(lambda: stats.stats(month, snap, now)))
        floor = statistics.median(floors)
        result = await stats.stats(year, snap, now)
        print(f"year: {result['questions']['total']:,} citizens' messages, {result['bookings']['made']:,} bookings, "
              f"{result['handoff']['requested']:,} hand-offs, {result['ratings']['total']:,} ratings")
        print(f"{'query':<28}{'median ms':>10}{'best ms':>10}{'× floor':>9}")
        print(f"{'floor: count(*) messages':<28}{floor * 1000:>10.1f}{min(floors) * 1000:>10.1f}{1:>9.2f}")
        print(f"{'stats, a year, first (cold)':<28}{cold * 1000:>10.1f}{cold * 1000:>10.1f}{cold / floor:>9.2f}")
        for name, times in (("stats, a year", years), ("stats, a year, one hall", halls), ("stats, a month", months)):
            m = statistics.median(times)
            print(f"{name:<28}{m * 1000:>10.1f}{min(times) * 1000:>10.1f}{m / floor:>9.2f}")
        print(f"target: a year under 1000 ms — {'met' if statistics.median(years) < 1 else 'NOT met'} on this machine "
              f"({datetime.now(TZ):%Y-%m-%d})")
    finally:
        if conn is not None:
            await conn.close()
        await close_db()
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{NAME}"')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
