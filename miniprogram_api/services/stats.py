"""The hall manager's figures (效能监察) for a period: aggregated in SQL, on PostgreSQL and on SQLite.

Every count is one GROUP BY over the period's rows; nothing is fetched row by row. Citizens' messages,
a million rows a year in a city, are counted once per finished day into MessageDay (`roll_up`, run by
the housekeeping and by the first query that needs a day); a period reads those and only today's
transcript. The two databases
differ only in how a timestamp becomes a local day and how two timestamps are subtracted (`_Dialect`).
Periods are local (Asia/Shanghai) days, both ends included."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from knowledge.service import Snapshot
from miniprogram_api.clock import TZ
from miniprogram_api.errors import Invalid
from miniprogram_api.models.conversation import FALLBACK_OUTCOMES
from miniprogram_api.models.stats import MessageDay, RolledUpDay
from miniprogram_api.services.applications import OPEN
from miniprogram_api.services.booking import BLOCK_DAYS, NO_SHOW_LIMIT, NO_SHOW_WINDOW
from miniprogram_api.services.ratings import LEVELS

MAX_DAYS = 400  # a year and a bit: enough for year-on-year views, small enough to answer in a second
TOP_ITEMS = 10
ROLLUP_GRACE = timedelta(minutes=10)
TO_PEOPLE = ("handoff", "person")  # a citizen's message that brought in, or went to, a person
SERVICE_TYPES = {"appointment": "预约办事", "application": "办件", "handoff": "人工客服"}
_PARAM = re.compile(r"(?<![:\w]):([a-z_]+)")


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    hall: str | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), TZ)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last + timedelta(days=1), time(), TZ)


def period(first: str | None, last: str | None, hall: str | None, snap: Snapshot, today: date) -> Period:
    """The query's period, checked: dates as YYYY-MM-DD, at most MAX_DAYS, a known hall."""
    def day(value: str | None, name: str, default: date) -> date:
        if value is None:
            return default
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Invalid("bad_date", f"日期格式应为 YYYY-MM-DD，例如 {today.isoformat()}",
                           {name: "格式应为 YYYY-MM-DD"}) from None

    last_day = day(last, "to", today)
    first_day = day(first, "from", last_day - timedelta(days=29))
    if first_day > last_day:
        raise Invalid("bad_period", "开始日期不能晚于结束日期", {"from": "不能晚于结束日期"})
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise Invalid("period_too_long", f"统计区间最长{MAX_DAYS}天", {"to": f"统计区间最长{MAX_DAYS}天（含开始和结束日期）"})
    if hall:
        found = snap.halls.get(hall.upper())
        if found is None:
            raise Invalid("hall_not_found", "没有这个大厅", {"hall": "可选：" + "、".join(snap.halls)})
        hall = found["code"]
    return Period(first_day, last_day, hall or None)


class _Dialect:
    def __init__(self, name: str):
        self.pg = name == "postgres"

    def day(self, column: str) -> str:
        """The local day of a timestamp (China keeps no summer time, so +8 hours is exact)."""
        return f"(({column}) AT TIME ZONE 'Asia/Shanghai')::date" if self.pg else f"date({column}, '+8 hours')"

    def moment(self, column: str) -> str:
        """A timestamp in a comparable form (SQLite keeps text with an offset: compare Julian days)."""
        return column if self.pg else f"julianday({column})"

    def seconds(self, earlier: str, later: str) -> str:
        return (f"EXTRACT(EPOCH FROM ({later} - {earlier}))" if self.pg
                else f"((julianday({later}) - julianday({earlier})) * 86400.0)")

    def param(self, value: Any) -> Any:
        if self.pg:
            return value
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        return value.isoformat() if isinstance(value, date) else value

    def compile(self, sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
        """`:name` placeholders to asyncpg's $n or SQLite's ?; a moment parameter as `:@name`."""
        values: list[Any] = []

        def sub(match: re.Match) -> str:
            values.append(self.param(params[match.group(1)]))
            return f"${len(values)}" if self.pg else "?"

        sql = sql.replace(":@", ":") if self.pg else re.sub(r":@([a-z_]+)", r"julianday(:\1)", sql)
        return _PARAM.sub(sub, sql), values


class _Query:
    def __init__(self, p: Period, today: date):
        self.conn = connections.get("default")
        self.d = _Dialect(self.conn.capabilities.dialect)
        self.params = {"start": p.start, "end": p.end, "first": p.first, "last": p.last, "hall": p.hall,
                       "today": today}
        self.hall = p.hall

    async def rows(self, sql: str, **extra: Any) -> list[dict[str, Any]]:
        text, values = self.d.compile(sql, {**self.params, **extra})
        return await self.conn.execute_query_dict(text, values)

    def during(self, column: str) -> str:
        m = self.d.moment(column)
        return f"{m} >= :@start AND {m} < :@end"

    def at_hall(self, column: str) -> str:
        return f" AND {column} = :hall" if self.hall else ""

    def percentiles(self, inner: str) -> str:
        """Median and p90 (nearest rank) of column `v` of `inner`, with window functions both databases have."""
        return (f"SELECT MAX(n) AS n, MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN v END) AS p50, "
                f"MAX(CASE WHEN rn = (n * 90 + 99) / 100 THEN v END) AS p90 FROM "
                f"(SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS n "
                f"FROM ({inner}) w WHERE v IS NOT NULL) r")


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _int(value: Any) -> int:
    return int(value or 0)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


async def _message_groups(q: _Query, first: date, last: date) -> list[dict[str, Any]]:
    """Citizens' messages of the local days first..last, counted by day, channel, outcome and item."""
    rows = await q.rows(f"""
        SELECT {q.d.day('m.created_at')} AS day, c.channel AS channel, COALESCE(m.outcome, '') AS outcome,
               COALESCE(m.item_code, '') AS item_code, COUNT(*) AS n
        FROM transcript_message m JOIN conversation c ON c.id = m.conversation_id
        WHERE m.role = 'citizen' AND {q.d.moment('m.created_at')} >= :@since AND {q.d.moment('m.created_at')} < :@until
        GROUP BY 1, 2, 3, 4""", since=_midnight(first), until=_midnight(last + timedelta(days=1)))
    return [{"day": _day(r["day"]), "channel": r["channel"], "outcome": r["outcome"], "item_code": r["item_code"],
             "n": _int(r["n"])} for r in rows]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), TZ)


async def roll_up(now: datetime, first: date | None = None) -> int:
    """Counts the citizens' messages of finished days not counted yet (from `first`, default a week back)
    into MessageDay. A day counts as finished ROLLUP_GRACE after midnight, when the turns that were
    under way at midnight have stored what became of their message. Returns the days rolled up."""
    last = (now - ROLLUP_GRACE).astimezone(TZ).date() - timedelta(days=1)
    first = first or last - timedelta(days=6)
    if first > last:
        return 0
    done = set(await RolledUpDay.filter(day__gte=first, day__lte=last).values_list("day", flat=True))
    missing = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    missing = [d for d in missing if d not in done]
    if not missing:
        return 0
    q = _Query(Period(missing[0], missing[-1]), now.astimezone(TZ).date())
    wanted = {d.isoformat() for d in missing}
    groups = [g for g in await _message_groups(q, missing[0], missing[-1]) if g["day"] in wanted]
    try:
        async with in_transaction():
            await RolledUpDay.bulk_create([RolledUpDay(day=d) for d in missing])
            await MessageDay.bulk_create([MessageDay(day=date.fromisoformat(g["day"]), channel=g["channel"],
                                                     outcome=g["outcome"], item_code=g["item_code"], count=g["n"])
                                          for g in groups], batch_size=1000)
    except IntegrityError:  # another worker (or a manager's query) rolled up the same days just now
        return 0
    return len(missing)


@dataclass
class _Counts:
    """Citizens' messages counted three ways: per day and channel (total, to people), per item, per outcome."""
    days: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, day: str, channel: str, outcome: str, item: str, n: int) -> None:
        d = self.days.setdefault((day, channel), [0, 0])
        d[0] += n
        d[1] += n if outcome in TO_PEOPLE else 0
        if item:
            self.items[item] = self.items.get(item, 0) + n
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n


async def _messages(q: _Query, p: Period, now: datetime) -> _Counts:
    """The period's messages: finished days from MessageDay (rolled up first where missing), the rest
    (today, and a day still within ROLLUP_GRACE) from the transcript itself."""
    finished = min(p.last, (now - ROLLUP_GRACE).astimezone(TZ).date() - timedelta(days=1))
    counts = _Counts()
    if p.first <= finished:
        await roll_up(now, p.first)
        span = "day >= :first AND day <= :finished"
        days, items, outcomes = await asyncio.gather(
            q.rows(f"""SELECT day, channel, SUM(count) AS total,
                              SUM(CASE WHEN outcome IN ('handoff', 'person') THEN count ELSE 0 END) AS to_people
                       FROM message_day WHERE {span} GROUP BY day, channel""", finished=finished),
            q.rows(f"""SELECT item_code, SUM(count) AS n FROM message_day WHERE {span} AND item_code <> ''
                       GROUP BY item_code""", finished=finished),
            q.rows(f"SELECT outcome, SUM(count) AS n FROM message_day WHERE {span} GROUP BY outcome", finished=finished))
        counts.days = {(_day(r["day"]), r["channel"]): [_int(r["total"]), _int(r["to_people"])] for r in days}
        counts.items = {r["item_code"]: _int(r["n"]) for r in items}
        counts.outcomes = {r["outcome"]: _int(r["n"]) for r in outcomes}
    live_from = max(p.first, finished + timedelta(days=1))
    if live_from <= p.last:
        for g in await _message_groups(q, live_from, p.last):
            counts.add(g["day"], g["channel"], g["outcome"], g["item_code"], g["n"])
    return counts


def _questions(counts: _Counts) -> dict[str, Any]:
    by_day = [{"day": day, "channel": channel, "total": total, "bot": total - to_people, "handed_off": to_people}
              for (day, channel), (total, to_people) in sorted(counts.days.items())]
    by_channel: dict[str, dict[str, int]] = {}
    for r in by_day:
        c = by_channel.setdefault(r["channel"], {"total": 0, "bot": 0, "handed_off": 0})
        for k in c:
            c[k] += r[k]
    totals = {k: sum(c[k] for c in by_channel.values()) for k in ("total", "bot", "handed_off")}
    return {**totals, "by_channel": by_channel, "by_day": by_day}


def _top_items(counts: _Counts, snap: Snapshot) -> list[dict[str, Any]]:
    top = sorted(counts.items.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ITEMS]
    return [{"item_code": code, "name": snap.items.get(code, {}).get("name", code), "count": n} for code, n in top]


def _fallback(counts: _Counts) -> dict[str, Any]:
    # What the bot itself answered or tried to: not messages written to a person, nor rating replies.
    messages = sum(n for o, n in counts.outcomes.items() if o and o not in ("person", "rating"))
    missed = {k: counts.outcomes.get(k, 0) for k in FALLBACK_OUTCOMES}
    return {"messages": messages, "not_answered": sum(missed.values()), "share": _share(sum(missed.values()), messages),
            "by_kind": missed}


async def _handoff(q: _Query) -> dict[str, Any]:
    counts, waits, firsts, tickets = await asyncio.gather(
        q.rows(f"""
            SELECT status, closed_reason, COUNT(*) AS n FROM handoff
            WHERE reason <> 'agent_joined' AND {q.during('requested_at')} GROUP BY status, closed_reason"""),
        q.rows(q.percentiles(f"""
            SELECT {q.d.seconds('requested_at', 'claimed_at')} AS v FROM handoff
            WHERE reason <> 'agent_joined' AND claimed_at IS NOT NULL AND {q.during('requested_at')}""")),
        # The agent's first message after the claim: a join and a GROUP BY, which uses the conversation
        # index (a MIN() subquery per hand-off walks the whole created_at index instead).
        q.rows(q.percentiles(f"""
            SELECT {q.d.seconds('MIN(h.claimed_at)', 'MIN(m.created_at)')} AS v
            FROM handoff h JOIN transcript_message m ON m.conversation_id = h.conversation_id AND m.role = 'agent'
              AND {q.d.moment('m.created_at')} >= {q.d.moment('h.claimed_at')}
            WHERE h.reason <> 'agent_joined' AND h.claimed_at IS NOT NULL AND {q.during('h.requested_at')}
            GROUP BY h.id""")),
        q.rows(f"""
            SELECT reason, status, COUNT(*) AS n FROM ticket WHERE {q.during('created_at')} GROUP BY reason, status"""),
    )
    requested = sum(_int(r["n"]) for r in counts)
    unclaimed = sum(_int(r["n"]) for r in counts if r["status"] == "expired")
    wait, first = waits[0], firsts[0]
    return {
        "requested": requested, "claimed": requested - unclaimed - sum(_int(r["n"]) for r in counts
                                                                       if r["status"] == "waiting"),
        "unclaimed": unclaimed,
        "wait_seconds": {"n": _int(wait["n"]), "median": _seconds(wait["p50"]), "p90": _seconds(wait["p90"])},
        "first_response_seconds": {"n": _int(first["n"]), "median": _seconds(first["p50"]),
                                   "p90": _seconds(first["p90"])},
        "tickets": {"total": sum(_int(r["n"]) for r in tickets),
                    "outside_hours": sum(_int(r["n"]) for r in tickets if r["reason"] == "outside_hours"),
                    "unclaimed": sum(_int(r["n"]) for r in tickets if r["reason"] == "unclaimed"),
                    "answered": sum(_int(r["n"]) for r in tickets if r["status"] == "answered")},
    }


async def _bookings(q: _Query) -> dict[str, Any]:
    statuses, seats = await asyncio.gather(
        q.rows(f"""SELECT status, COUNT(*) AS n FROM appointment
                   WHERE day >= :first AND day <= :last{q.at_hall('hall_code')} GROUP BY status"""),
        q.rows(f"""SELECT hall_code, day, SUM(capacity) AS capacity, SUM(booked) AS booked FROM slot
                   WHERE day >= :first AND day <= :last AND closed = :closed{q.at_hall('hall_code')}
                   GROUP BY hall_code, day ORDER BY day, hall_code""", closed=False),
    )
    by_status = {r["status"]: _int(r["n"]) for r in statuses}
    per_day = [{"hall": r["hall_code"], "day": _day(r["day"]), "capacity": _int(r["capacity"]),
                "booked": _int(r["booked"]), "utilisation": _share(_int(r["booked"]), _int(r["capacity"]))}
               for r in seats]
    capacity, booked = sum(r["capacity"] for r in per_day), sum(r["booked"] for r in per_day)
    return {"made": sum(by_status.values()), "cancelled": by_status.get("cancelled", 0),
            "attended": by_status.get("checked_in", 0), "no_show": by_status.get("no_show", 0),
            "closed_by_hall": by_status.get("closed", 0), "pending": by_status.get("booked", 0),
            "seats": {"capacity": capacity, "booked": booked, "utilisation": _share(booked, capacity)},
            "utilisation": per_day}


async def _no_show(q: _Query, today: date) -> dict[str, Any]:
    # Blocked as services/booking.py blocks (NO_SHOW_LIMIT no-shows within NO_SHOW_WINDOW, blocked for
    # BLOCK_DAYS after the last), on the period's last day or today, whichever is earlier.
    ref = min(today, q.params["last"])
    by_day, blocked = await asyncio.gather(
        q.rows(f"""SELECT day, COUNT(*) AS n FROM appointment
                   WHERE status = 'no_show' AND day >= :first AND day <= :last{q.at_hall('hall_code')}
                   GROUP BY day ORDER BY day"""),
        q.rows("""SELECT COUNT(*) AS n FROM (SELECT citizen_id FROM appointment
                   WHERE status = 'no_show' AND day > :since AND day <= :ref GROUP BY citizen_id
                   HAVING COUNT(*) >= :limit AND MAX(day) >= :block_from) b""",
               since=ref - NO_SHOW_WINDOW, ref=ref, limit=NO_SHOW_LIMIT, block_from=ref - timedelta(days=BLOCK_DAYS)),
    )
    return {"total": sum(_int(r["n"]) for r in by_day), "blocked_citizens": _int(blocked[0]["n"]),
            "blocked_on": ref.isoformat(), "by_day": [{"day": _day(r["day"]), "count": _int(r["n"])} for r in by_day]}


async def _ratings(q: _Query) -> dict[str, Any]:
    hall = (" AND r.target_type = 'appointment' AND r.target_id IN "
            "(SELECT id FROM appointment WHERE hall_code = :hall)") if q.hall else ""
    levels, follow = await asyncio.gather(
        q.rows(f"""SELECT r.target_type, r.level, COUNT(*) AS n FROM rating r
                   WHERE {q.during('r.created_at')}{hall} GROUP BY r.target_type, r.level"""),
        q.rows(f"""SELECT COUNT(*) AS total,
                          SUM(CASE WHEN f.answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
                          SUM(CASE WHEN f.answered_at IS NOT NULL AND {q.d.day('f.answered_at')} <= f.due_date
                              THEN 1 ELSE 0 END) AS in_time,
                          SUM(CASE WHEN f.answered_at IS NULL AND f.due_date < :today THEN 1 ELSE 0 END) AS overdue
                   FROM follow_up f JOIN rating r ON r.id = f.rating_id
                   WHERE {q.during('r.created_at')}{hall}"""),
    )
    by_type: dict[str, dict[str, Any]] = {}
    for r in levels:
        t = by_type.setdefault(r["target_type"], {"label": SERVICE_TYPES.get(r["target_type"], r["target_type"]),
                                                  "levels": {str(k): 0 for k in LEVELS}, "total": 0})
        t["levels"][str(r["level"])] = _int(r["n"])
        t["total"] += _int(r["n"])
    f = follow[0]
    answered = _int(f["answered"])
    return {"levels": {str(k): v for k, v in LEVELS.items()}, "by_type": by_type,
            "total": sum(t["total"] for t in by_type.values()),
            "follow_ups": {"total": _int(f["total"]), "answered": answered, "answered_in_time": _int(f["in_time"]),
                           "overdue_open": _int(f["overdue"]), "in_time_share": _share(_int(f["in_time"]), _int(f["total"]))}}


async def _overdue(q: _Query, snap: Snapshot) -> dict[str, Any]:
    # Applications promised within the period that were late: still open after the promised day, or
    # finished after it. Applications carry no hall; this part is city-wide.
    open_list = ", ".join(f"'{s}'" for s in OPEN)  # fixed status words, not input
    rows = await q.rows(f"""
        SELECT item_code,
               SUM(CASE WHEN status IN ({open_list}) AND promised_date < :today THEN 1 ELSE 0 END) AS still_open,
               SUM(CASE WHEN completed_at IS NOT NULL AND {q.d.day('completed_at')} > promised_date
                   THEN 1 ELSE 0 END) AS finished_late,
               COUNT(*) AS promised
        FROM application WHERE promised_date >= :first AND promised_date <= :last GROUP BY item_code""")
    items, departments = [], {}
    for r in rows:
        late = _int(r["still_open"]) + _int(r["finished_late"])
        item = snap.items.get(r["item_code"], {})
        dept = departments.setdefault(item.get("department", "未知部门"), {"overdue": 0, "promised": 0})
        dept["overdue"] += late
        dept["promised"] += _int(r["promised"])
        if late:
            items.append({"item_code": r["item_code"], "name": item.get("name", r["item_code"]),
                          "department": item.get("department", "未知部门"), "overdue": late,
                          "still_open": _int(r["still_open"]), "finished_late": _int(r["finished_late"]),
                          "promised": _int(r["promised"])})
    items.sort(key=lambda i: (-i["overdue"], i["item_code"]))
    return {"total": sum(i["overdue"] for i in items), "promised": sum(d["promised"] for d in departments.values()),
            "by_department": [{"department": k, **v} for k, v in sorted(departments.items(), key=lambda kv: -kv[1]["overdue"])
                              if v["overdue"]],
            "by_item": items}


async def _complaints(q: _Query) -> dict[str, Any]:
    rows = await q.rows(f"""
        SELECT category, COUNT(*) AS total,
               SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN answered_at IS NOT NULL AND {q.d.day('answered_at')} <= due_date THEN 1 ELSE 0 END) AS in_time,
               SUM(CASE WHEN answered_at IS NULL AND due_date < :today THEN 1 ELSE 0 END) AS overdue
        FROM complaint WHERE {q.during('created_at')}{q.at_hall('hall_code')} GROUP BY category ORDER BY category""")
    by_category = [{"category": r["category"], "total": _int(r["total"]), "answered": _int(r["answered"]),
                    "answered_in_time": _int(r["in_time"]), "overdue_open": _int(r["overdue"])} for r in rows]
    total = sum(c["total"] for c in by_category)
    in_time = sum(c["answered_in_time"] for c in by_category)
    return {"total": total, "answered": sum(c["answered"] for c in by_category), "answered_in_time": in_time,
            "overdue_open": sum(c["overdue_open"] for c in by_category), "in_time_share": _share(in_time, total),
            "by_category": by_category}


async def stats(p: Period, snap: Snapshot, now: datetime) -> dict[str, Any]:
    """Every figure of the period. The parts run side by side on the connection pool (SQLite serialises them)."""
    today = now.astimezone(TZ).date()
    q = _Query(p, today)
    counts, *parts = await asyncio.gather(_messages(q, p, now), _handoff(q), _bookings(q), _no_show(q, today),
                                          _ratings(q), _overdue(q, snap), _complaints(q))
    parts = [_questions(counts), _top_items(counts, snap), _fallback(counts), *parts]
    keys = ("questions", "top_items", "fallback", "handoff", "bookings", "no_show", "ratings", "overdue", "complaints")
    return {"period": {"from": p.first.isoformat(), "to": p.last.isoformat(), "hall": p.hall, "today": today.isoformat(),
                       "hall_scoped": ["bookings", "no_show", "ratings", "complaints"] if p.hall else []},
            **dict(zip(keys, parts, strict=True))}


# The dashboard's tables, as the CSV export writes them: a Chinese header row, then the rows.
TABLES = ("questions", "top_items", "utilisation", "no_show", "ratings", "overdue", "complaints")


def table(figures: dict[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    if name == "questions":
        return (["日期", "渠道", "咨询消息", "机器人答复", "转人工"],
                [[r["day"], r["channel"], r["total"], r["bot"], r["handed_off"]] for r in figures["questions"]["by_day"]])
    if name == "top_items":
        return ["事项编码", "事项名称", "咨询次数"], [[r["item_code"], r["name"], r["count"]] for r in figures["top_items"]]
    if name == "utilisation":
        return (["日期", "大厅", "号源", "已约", "利用率"],
                [[r["day"], r["hall"], r["capacity"], r["booked"], r["utilisation"]]
                 for r in figures["bookings"]["utilisation"]])
    if name == "no_show":
        return ["日期", "爽约"], [[r["day"], r["count"]] for r in figures["no_show"]["by_day"]]
    if name == "ratings":
        levels = figures["ratings"]["levels"]
        return (["服务类型", *levels.values(), "合计"],
                [[t["label"], *(t["levels"][k] for k in levels), t["total"]]
                 for t in figures["ratings"]["by_type"].values()])
    if name == "overdue":
        return (["事项编码", "事项名称", "部门", "超期", "未办结", "超期办结", "承诺期内应办结"],
                [[r["item_code"], r["name"], r["department"], r["overdue"], r["still_open"], r["finished_late"],
                  r["promised"]] for r in figures["overdue"]["by_item"]])
    return (["类别", "投诉", "已答复", "按期答复", "超期未答复"],
            [[r["category"], r["total"], r["answered"], r["answered_in_time"], r["overdue_open"]]
             for r in figures["complaints"]["by_category"]])
