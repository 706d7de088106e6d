"""好差评 (once per service; a bad one opens a follow-up due in 5 working days) and complaints."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from knowledge.service import Snapshot
from miniprogram_api.clock import TZ
from miniprogram_api.errors import Conflict, DomainError, Invalid, NotFound
from miniprogram_api.models.applications import Complaint, FollowUp, Rating
from miniprogram_api.models.booking import Appointment
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.conversation import Conversation
from miniprogram_api.models.handoff import Handoff
from miniprogram_api.models.staff import StaffAccount
from miniprogram_api.services import applications
from miniprogram_api.services.citizens import citizen_of_conversation
from miniprogram_api.services.counters import next_number
from miniprogram_api.services.notify import Notifier

log = structlog.get_logger(__name__)

LEVELS = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
BAD = 4  # 不满意 or worse opens a follow-up
FOLLOW_UP_WORKDAYS = 5
COMPLAINT_WORKDAYS = 5  # a complaint is answered within 5 working days, as 12345 requires of departments
COMPLAINT_CATEGORIES = ("服务态度", "办事效率", "材料要求", "系统故障", "其他")


async def _owns_appointment(citizen: Citizen, target_id: int) -> bool:
    # Only a service the citizen received can be rated, and of the statuses (models/booking.py) that is
    # checked_in alone: booked has not happened yet, cancelled and no_show never did, and closed means
    # the hall closed the slot — a 差评 of any of these would open a follow-up about a service nobody gave.
    appointment = await Appointment.get_or_none(id=target_id, citizen=citizen)
    if appointment is None:
        return False
    if appointment.status != "checked_in":
        state = {"booked": "尚未办理", "cancelled": "已取消", "no_show": "未到场", "closed": "大厅已关闭该时段"}
        raise Conflict("service_not_completed", "未办理的预约不能评价（只能评价已到大厅签到办理的预约）",
                       {"target_id": f"这个预约{state.get(appointment.status, '未办理')}"})
    return True


async def _owns_application(citizen: Citizen, target_id: int) -> bool:
    a = await applications.Application.get_or_none(id=target_id)
    # The applicant may rate the service too, even when the case was never linked to their account.
    return a is not None and (applications.is_owner(a, citizen) or bool(citizen.id_number) and
                              a.applicant_id_number == citizen.id_number.upper())


async def _owns_handoff(citizen: Citizen, target_id: int) -> bool:
    handoff = await Handoff.get_or_none(id=target_id, status="closed").prefetch_related("conversation")
    if handoff is None:
        return False
    c: Conversation = handoff.conversation
    return (c.channel == "miniprogram" and c.user_id == str(citizen.id)) or (
        c.channel == "wechat" and citizen.oa_openid is not None and c.user_id == citizen.oa_openid)


TARGETS: dict[str, Callable[[Citizen, int], Awaitable[bool]]] = {
    "appointment": _owns_appointment, "application": _owns_application, "handoff": _owns_handoff}


def rating_view(r: Rating, follow_up: FollowUp | None) -> dict[str, Any]:
    return {"id": r.id, "target_type": r.target_type, "target_id": r.target_id, "level": r.level,
            "label": LEVELS[r.level], "comment": r.comment, "created_at": r.created_at.astimezone(TZ).isoformat(),
            "follow_up": follow_up_view(follow_up) if follow_up else None}


def follow_up_view(f: FollowUp, now: datetime | None = None) -> dict[str, Any]:
    view = {"id": f.id, "rating_id": f.rating_id, "due_date": f.due_date.isoformat(), "status": f.status,
            "answer": f.answer, "answered_at": f.answered_at.astimezone(TZ).isoformat() if f.answered_at else None}
    if now is not None:
        view["overdue"] = f.status == "open" and now.astimezone(TZ).date() > f.due_date
    return view


async def rate(snap: Snapshot, citizen: Citizen, target_type: str, target_id: int, level: int, comment: str,
               now: datetime) -> tuple[Rating, FollowUp | None]:
    if not await TARGETS[target_type](citizen, target_id):
        raise NotFound("service_not_found", "没有找到可以评价的这项服务（只能评价自己已完成的服务）")
    try:
        async with in_transaction() as conn:
            rating = await Rating.create(citizen=citizen, target_type=target_type, target_id=target_id, level=level,
                                         comment=comment, created_at=now, using_db=conn)
            follow_up = None
            if level >= BAD:
                due = snap.calendar.add_workdays(now.astimezone(TZ).date(), FOLLOW_UP_WORKDAYS)
                follow_up = await FollowUp.create(rating=rating, due_date=due, using_db=conn)
    except IntegrityError:
        raise Conflict("already_rated", "这项服务已经评价过了，每项服务只能评价一次") from None
    log.info("rated", target=target_type, level=level, follow_up=bool(follow_up))
    return rating, follow_up


async def rate_handoff_in_chat(snap: Snapshot, conversation: Conversation, handoff_id: int, level: int,
                               now: datetime, comment: str = "") -> None:
    """The rating a citizen gives in chat after a hand-off closes (the hand-off service calls this);
    `comment` is the rest of what they wrote ("4分吧，回复挺快但等太久" → "回复挺快但等太久")."""
    citizen = await citizen_of_conversation(conversation)
    if citizen is not None:
        try:
            await rate(snap, citizen, "handoff", handoff_id, level, comment[:500], now)
        except DomainError as exc:
            log.info("chat_rating_refused", code=exc.code)


async def citizen_ratings(citizen: Citizen) -> list[dict[str, Any]]:
    rows = await Rating.filter(citizen=citizen).order_by("-id").prefetch_related("follow_up")
    return [rating_view(r, await FollowUp.get_or_none(rating=r)) for r in rows]


async def follow_ups(status: str | None, overdue_only: bool, now: datetime) -> list[dict[str, Any]]:
    query = FollowUp.all() if status is None else FollowUp.filter(status=status)
    if overdue_only:
        query = query.filter(status="open", due_date__lt=now.astimezone(TZ).date())
    out = []
    for f in await query.order_by("due_date", "id").prefetch_related("rating"):
        out.append({**follow_up_view(f, now), "rating": rating_view(f.rating, None)})
    return out


async def answer_follow_up(notifier: Notifier, follow_up_id: int, staff: StaffAccount, text: str,
                           now: datetime) -> FollowUp:
    f = await FollowUp.get_or_none(id=follow_up_id).prefetch_related("rating")
    if f is None:
        raise NotFound("follow_up_not_found", "没有找到这条回访")
    if f.status != "open":
        raise Conflict("follow_up_not_open", "这条回访已经答复或关闭")
    f.status, f.answer, f.answered_by_id, f.answered_at = "answered", text, staff.id, now
    await f.save()
    citizen = await Citizen.get(id=f.rating.citizen_id)
    await notifier.send(citizen, "reply", f"follow_up:{f.id}", {"thing1": "您的评价有了答复", "thing2": text,
                                                               "time3": now.astimezone(TZ).strftime("%Y-%m-%d %H:%M")})
    return f


async def close_follow_up(follow_up_id: int) -> FollowUp:
    f = await FollowUp.get_or_none(id=follow_up_id)
    if f is None:
        raise NotFound("follow_up_not_found", "没有找到这条回访")
    if f.status == "open":
        raise Conflict("follow_up_unanswered", "请先答复再关闭")
    f.status = "closed"
    await f.save(update_fields=["status"])
    return f


def complaint_view(c: Complaint) -> dict[str, Any]:
    return {"ticket": c.ticket, "category": c.category, "text": c.text, "hall_code": c.hall_code,
            "window_code": c.window_code, "status": c.status, "answer": c.answer,
            "answered_at": c.answered_at.astimezone(TZ).isoformat() if c.answered_at else None,
            "due_date": c.due_date.isoformat() if c.due_date else None,
            "created_at": c.created_at.astimezone(TZ).isoformat()}


async def complain(snap: Snapshot, citizen: Citizen, category: str, text: str, hall_code: str | None,
                   window_code: str | None, now: datetime, conversation: Conversation | None = None) -> Complaint:
    """A complaint ticket; `conversation` is the chat it was written in, where the answer is sent too."""
    if hall_code is not None:
        hall = snap.halls.get(hall_code.upper())
        if hall is None:
            raise NotFound("hall_not_found", "没有这个大厅", {"hall_code": f"可选：{'、'.join(snap.halls)}"})
        hall_code = hall["code"]
        if window_code is not None:
            found = window_of(hall, window_code)
            if found is None:
                total = sum(w.get("count", 1) for w in hall["windows"])
                raise NotFound("window_not_found", f"这个大厅没有“{window_code}”窗口",
                               {"window_code": f"填窗口号（1到{total}号）或窗口类别：{'、'.join(w['code'] for w in hall['windows'])}"})
            window_code = found
    elif window_code is not None:
        raise Invalid("hall_required", "填写窗口时请同时选择大厅", {"hall_code": "填写窗口时必须选择大厅"})
    day = now.astimezone(TZ).date()
    seq = await next_number("complaint", day)
    c = await Complaint.create(ticket=f"TS{day:%Y%m%d}{seq:04d}", citizen=citizen, category=category, text=text,
                               hall_code=hall_code, window_code=window_code, conversation=conversation,
                               due_date=snap.calendar.add_workdays(day, COMPLAINT_WORKDAYS), created_at=now)
    log.info("complaint", ticket=c.ticket, category=category)
    return c


# "3号窗口", "3", "A3号窗", "A", "A窗口": an optional group code, an optional number, optional words.
_WINDOW = re.compile(r"([A-Z]?)(?:(\d{1,2})号?)?(?:窗口|窗)?")


def window_of(hall: dict[str, Any], text: str) -> str | None:
    """A window as citizens name it: the number over the counter ("3号窗口", "3"), a group's code with its
    number ("A3") or alone ("A"). Returns what is stored ("3", "A3", "A"), or None when the hall has none."""
    m = _WINDOW.fullmatch(re.sub(r"\s", "", text).upper())
    if m is None or not (m.group(1) or m.group(2)):
        return None
    code, number = m.group(1), int(m.group(2)) if m.group(2) else None
    if not code:  # counters are numbered across the hall
        return str(number) if 1 <= number <= sum(w.get("count", 1) for w in hall["windows"]) else None
    group = next((w for w in hall["windows"] if w["code"].upper() == code), None)
    if group is None:
        return None
    if number is None:
        return code
    return f"{code}{number}" if 1 <= number <= group.get("count", 1) else None


TICKET = re.compile(r"TS[0-9]{12,18}")  # TS + the day + its sequence number


async def complaint_or_none(ticket: str) -> Complaint | None:
    """A complaint by its ticket; anything not shaped like a ticket is simply not found."""
    ticket = ticket.strip().upper()
    return await Complaint.get_or_none(ticket=ticket) if TICKET.fullmatch(ticket) else None


async def complaint_by_ticket(ticket: str) -> Complaint:
    c = await complaint_or_none(ticket)
    if c is None:
        raise NotFound("complaint_not_found", "没有找到这个投诉")
    return c


async def answer_complaint(notifier: Notifier, ticket: str, staff: StaffAccount, text: str, now: datetime) -> Complaint:
    c = await complaint_by_ticket(ticket)
    if c.status != "open":
        raise Conflict("complaint_not_open", "这个投诉已经答复或关闭")
    c.status, c.answer, c.answered_by_id, c.answered_at = "answered", text, staff.id, now
    await c.save()
    await notifier.send(await Citizen.get(id=c.citizen_id), "reply", f"complaint:{c.ticket}",
                        {"thing1": f"投诉{c.ticket}已答复", "thing2": text,
                         "time3": now.astimezone(TZ).strftime("%Y-%m-%d %H:%M")})
    return c


async def close_complaint(ticket: str) -> Complaint:
    c = await complaint_by_ticket(ticket)
    if c.status == "open":
        raise Conflict("complaint_unanswered", "请先答复再关闭")
    c.status = "closed"
    await c.save(update_fields=["status"])
    return c
