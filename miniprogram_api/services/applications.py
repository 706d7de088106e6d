"""Applications (办件): creation by the back office, the status machine with its timeline, promised
dates in working days, the citizen's view, and the public query by number + last 4 ID characters."""
from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from typing import Any

import structlog
from tortoise.transactions import in_transaction

from knowledge.service import Snapshot
from miniprogram_api.clock import TZ
from miniprogram_api.errors import Conflict, Invalid, NotFound, RateLimited
from miniprogram_api.logging import mask_id_number
from miniprogram_api.models.applications import Application, ApplicationEvent, QueryAttempt
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.staff import StaffAccount
from miniprogram_api.services.catalogue import item_or_raise
from miniprogram_api.services.identity import last4
from miniprogram_api.services.notify import Notifier

log = structlog.get_logger(__name__)

# 补正 (materials to add) returns to 受理 once they are handed in; 送达 and 不予受理 are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "提交": ("受理", "补正", "不予受理"),
    "补正": ("受理", "不予受理"),
    "受理": ("审查", "补正"),
    "审查": ("办结", "补正", "不予受理"),
    "办结": ("送达",),
    "送达": (),
    "不予受理": (),
}
OPEN = ("提交", "受理", "审查", "补正")
CHANNELS = ("hall", "online", "miniprogram", "wechat")
# The public progress query (number + last 4 ID characters) must neither help guess nor let guessers
# lock the owner out. Numbers end in 6 random digits (not a daily sequence), so a number is itself a
# one-in-a-million guess, and with the ID tail (11 000 values) a pair is one in ~10^10. On top:
# - one client and one number: 3 free failures, then a wait that doubles (1, 2, 4 … 60 minutes);
# - one client over all numbers: at most CLIENT_FAILURES in QUERY_WINDOW (enumeration);
# - one number from everywhere: answers slow down (never refused), so a crowd of clients guessing one
#   number gains little while the owner still gets an answer; the logged-in owner skips all of it.
PAIR_FREE_FAILURES = 3
PAIR_MAX_WAIT = timedelta(minutes=60)
CLIENT_FAILURES = 20
QUERY_WINDOW = timedelta(minutes=60)
NUMBER_SLOW_AFTER = 10
NUMBER_MAX_DELAY = 3.0  # seconds
NOT_FOUND = "没有查到这个办件，请核对受理编号和申请人身份证号码后4位"


def overdue(a: Application, now: datetime) -> bool:
    return a.status in OPEN and a.promised_date is not None and now.astimezone(TZ).date() > a.promised_date


def application_view(a: Application, snap: Snapshot, now: datetime, events: list[ApplicationEvent] | None = None,
                     staff: bool = False) -> dict[str, Any]:
    item = snap.items.get(a.item_code, {})
    view = {"number": a.number, "item_code": a.item_code, "item_name": item.get("name", a.item_code),
            "status": a.status, "channel": a.channel, "applicant_name": a.applicant_name[:1] + "*" * (len(a.applicant_name) - 1),
            "applicant_id_number": mask_id_number(a.applicant_id_number),
            "accepted_on": a.accepted_on.isoformat() if a.accepted_on else None,
            "promised_date": a.promised_date.isoformat() if a.promised_date else None,
            "overdue": overdue(a, now), "supplement": a.supplement, "reason": a.reason,
            "created_at": a.created_at.astimezone(TZ).isoformat() if a.created_at else None}
    if staff:
        view["applicant_name"] = a.applicant_name
        view["citizen_id"] = a.citizen_id
    if events is not None:
        view["timeline"] = [{"status": e.status, "note": e.note, "materials": e.materials, "reason": e.reason,
                             "at": e.created_at.astimezone(TZ).isoformat()} for e in events]
    return view


async def create(snap: Snapshot, item_code: str, applicant_name: str, applicant_id_number: str, channel: str,
                 citizen_id: int | None, staff: StaffAccount, now: datetime) -> Application:
    item = item_or_raise(snap, item_code)
    citizen = None
    if citizen_id is not None:
        citizen = await Citizen.get_or_none(id=citizen_id)
        if citizen is None:
            raise NotFound("citizen_not_found", "没有这位群众的账号", {"citizen_id": "没有这位群众的账号"})
    day = now.astimezone(TZ).date()
    async with in_transaction() as conn:
        a = await Application.create(number=await _unused_number(day, conn), item_code=item["code"], citizen=citizen,
                                     applicant_name=applicant_name, applicant_id_number=applicant_id_number.upper(),
                                     channel=channel, status="提交", using_db=conn)
        await ApplicationEvent.create(application=a, status="提交", note="申请已提交", staff=staff, created_at=now,
                                      using_db=conn)
    log.info("application_created", number=a.number, item=item["code"])
    return a


async def _unused_number(day, conn) -> str:
    while True:  # a day with thousands of cases leaves the draw almost always free the first time
        number = f"YX{day:%Y%m%d}{secrets.randbelow(10**6):06d}"
        if not await Application.filter(number=number).using_db(conn).exists():
            return number


async def get(number: str) -> Application:
    a = await Application.get_or_none(number=number.upper())
    if a is None:
        raise NotFound("application_not_found", "没有找到这个办件")
    return a


async def timeline(a: Application) -> list[ApplicationEvent]:
    return await ApplicationEvent.filter(application=a).order_by("id")


async def transition(snap: Snapshot, notifier: Notifier, number: str, to: str, staff: StaffAccount, now: datetime,
                     note: str = "", materials: list[str] | None = None, reason: str = "") -> Application:
    a = await get(number)
    allowed = TRANSITIONS.get(a.status, ())
    if to not in allowed:
        raise Conflict("illegal_transition",
                       f"办件当前为“{a.status}”，不能改为“{to}”" + (f"；可改为：{'、'.join(allowed)}" if allowed else "（已终结）"),
                       {"to": f"可改为：{'、'.join(allowed)}" if allowed else "办件已终结，不能再变更"})
    if to == "补正" and not materials:
        raise Invalid("materials_required", "补正须列出需要补交的材料", {"materials": "请列出需要补交的材料"})
    if to == "不予受理" and not reason.strip():
        raise Invalid("reason_required", "不予受理须说明理由", {"reason": "必须填写：不予受理理由"})
    today = now.astimezone(TZ).date()
    async with in_transaction() as conn:
        # The status only moves from the one read: two clerks acting at once cannot both succeed.
        changes: dict[str, Any] = {"status": to}
        if to == "受理":
            days = snap.items.get(a.item_code, {}).get("time_limit", {}).get("promised_days", 0)
            changes.update(accepted_on=today, promised_date=snap.calendar.add_workdays(today, days), supplement=[])
        elif to == "补正":
            changes["supplement"] = materials
        elif to == "不予受理":
            changes["reason"] = reason
        elif to == "办结":
            changes["completed_at"] = now
        moved = await Application.filter(id=a.id, status=a.status).using_db(conn).update(**changes)
        if not moved:
            raise Conflict("illegal_transition", "办件状态刚刚被他人修改，请刷新后重试")
        event = await ApplicationEvent.create(application=a, status=to, note=note, materials=materials or [],
                                              reason=reason, staff=staff, created_at=now, using_db=conn)
    a = await get(number)
    log.info("application_moved", number=a.number, to=to)
    if a.citizen_id:
        item = snap.items.get(a.item_code, {})
        await notifier.send(await Citizen.get(id=a.citizen_id), "progress", f"app:{a.number}:{event.id}",
                            {"character_string1": a.number, "thing2": item.get("name", a.item_code), "phrase3": to,
                             "thing4": note or _status_note(a)}, page=f"pages/applications/detail?number={a.number}")
    return a


def _status_note(a: Application) -> str:
    if a.status == "补正":
        return "请补交：" + "、".join(a.supplement)
    if a.status == "不予受理":
        return a.reason
    if a.status == "受理" and a.promised_date:
        return f"承诺{a.promised_date.month}月{a.promised_date.day}日前办结"
    return {"办结": "已办结，等待送达或领取", "送达": "证照已送达"}.get(a.status, "办理中")


# A citizen's applications are those the back office linked to their account when it took the case
# (it saw the ID card at the window). The ID number in the profile is typed by the citizen and proves
# nothing: matching on it once showed anyone's applications to whoever typed their number.
async def of_citizen(citizen: Citizen) -> list[Application]:
    return await Application.filter(citizen_id=citizen.id).order_by("-id")


def is_owner(a: Application, citizen: Citizen | None) -> bool:
    """The citizen the back office linked the case to; a typed ID number never makes an owner."""
    return citizen is not None and a.citizen_id == citizen.id


async def owned_by(citizen: Citizen, number: str) -> Application:
    a = await Application.get_or_none(number=number.upper())
    if a is None or not is_owner(a, citizen):
        raise NotFound("application_not_found", "没有找到这个办件")
    return a


async def staff_list(status: str | None, overdue_only: bool, now: datetime) -> list[Application]:
    query = Application.all() if status is None else Application.filter(status=status)
    if overdue_only:
        query = query.filter(status__in=OPEN, promised_date__lt=now.astimezone(TZ).date())
    return await query.order_by("-id").limit(500)


def _recent(key: str, now: datetime):
    return QueryAttempt.filter(key=key, created_at__gte=now - QUERY_WINDOW)


async def _failure_times(key: str, now: datetime) -> list[datetime]:
    return await _recent(key, now).order_by("created_at").values_list("created_at", flat=True)


def _pair_wait(failures: list[datetime], now: datetime) -> timedelta:
    if len(failures) < PAIR_FREE_FAILURES:
        return timedelta(0)
    wait = min(PAIR_MAX_WAIT, timedelta(minutes=2 ** (len(failures) - PAIR_FREE_FAILURES)))
    return max(timedelta(0), failures[-1] + wait - now)


async def query_progress(number: str, id_last4: str, who: str, now: datetime,
                         citizen: Citizen | None = None) -> Application:
    """The public query. A wrong pair answers exactly like a missing number; see PAIR_FREE_FAILURES for
    what repeated failures cost. The logged-in owner is answered at once."""
    number = number.strip().upper()
    a = await Application.get_or_none(number=number)
    if a is not None and is_owner(a, citizen):
        return a
    pair_key, client_key, number_key = f"pair:{who}:{number}"[:80], f"who:{who}"[:80], f"number:{number}"[:80]
    if (wait := _pair_wait(await _failure_times(pair_key, now), now)) > timedelta(0):
        minutes = max(1, round(wait.total_seconds() / 60))
        raise RateLimited("too_many_attempts", f"这个编号查询失败次数太多，请{minutes}分钟后再试",
                       {"retry_after_minutes": minutes})
    if await _recent(client_key, now).count() >= CLIENT_FAILURES:
        raise RateLimited("too_many_attempts", "查询失败次数太多，请1小时后再试", {"retry_after_minutes": 60})
    crowd = await _recent(number_key, now).count()
    if crowd > NUMBER_SLOW_AFTER:
        await asyncio.sleep(min(NUMBER_MAX_DELAY, 0.25 * (crowd - NUMBER_SLOW_AFTER)))
    if a is None or last4(a.applicant_id_number) != id_last4.strip().upper():
        await QueryAttempt.bulk_create([QueryAttempt(key=k, created_at=now) for k in (pair_key, client_key, number_key)])
        raise NotFound("application_not_found", NOT_FOUND)
    return a
