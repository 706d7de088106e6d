"""Appointments at the hall: the rules citizens and staff expect, each refusal with its own code.

Overbooking is prevented by the database: a seat is taken by a conditional UPDATE (booked <
capacity) inside a transaction that also holds the citizen's row lock, and a unique index allows
one active booking per citizen per item per day."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from knowledge.service import Snapshot
from miniprogram_api.clock import TZ, day_text, moment_text, span_text
from miniprogram_api.errors import Conflict, Forbidden, NotFound
from miniprogram_api.models.booking import Appointment, Slot
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.services.catalogue import item_or_raise
from miniprogram_api.services.counters import next_number
from miniprogram_api.services.notify import Notifier
from miniprogram_api.services.slots import BOOKING_CUTOFF, bookable_days

log = structlog.get_logger(__name__)

MAX_ACTIVE = 3
NO_SHOW_WINDOW = timedelta(days=90)
NO_SHOW_LIMIT = 3
BLOCK_DAYS = 30
CHECK_IN_EARLY = timedelta(minutes=30)
STATUS_TEXT = {"booked": "已预约", "checked_in": "已签到", "cancelled": "已取消", "no_show": "爽约",
               "closed": "大厅停办已取消"}


def _active_key(citizen_id: int, item_code: str, day: date) -> str:
    return f"{citizen_id}:{item_code}:{day.isoformat()}"


def window_for(snap: Snapshot, hall_code: str, category: str) -> dict[str, Any] | None:
    hall = snap.halls.get(hall_code)
    return next((w for w in hall["windows"] if category in w["categories"]), None) if hall else None


def _item_and_hall(snap: Snapshot, item_code: str, hall_code: str) -> dict[str, Any]:
    item = item_or_raise(snap, item_code)
    if hall_code not in {h["code"] for h in item["halls"]}:
        where = "、".join(h["name"] for h in item["halls"]) or "线上"
        raise NotFound("item_not_at_hall", f"“{item['name']}”不在这个大厅办理，可到：{where}",
                       {"hall_code": f"可选：{'、'.join(h['code'] for h in item['halls'])}"})
    return item


def appointment_view(a: Appointment, snap: Snapshot) -> dict[str, Any]:
    item = snap.items.get(a.item_code, {})
    hall = snap.halls.get(a.hall_code, {})
    slot = a.slot
    return {"id": a.id, "status": a.status, "status_text": STATUS_TEXT[a.status], "item_code": a.item_code,
            "item_name": item.get("name", a.item_code), "hall_code": a.hall_code, "hall_name": hall.get("name", ""),
            "hall_address": hall.get("address", ""), "day": a.day.isoformat(),
            "starts_at": slot.starts_at.astimezone(TZ).isoformat(), "ends_at": slot.ends_at.astimezone(TZ).isoformat(),
            "time_text": f"{day_text(slot.day)} {span_text(slot.starts_at, slot.ends_at)}",
            "check_in_code": a.check_in_code if a.status == "booked" else None, "queue_number": a.queue_number}


def slot_view(s: Slot) -> dict[str, Any]:
    return {"id": s.id, "hall_code": s.hall_code, "category": s.category, "day": s.day.isoformat(),
            "starts_at": s.starts_at.astimezone(TZ).isoformat(), "ends_at": s.ends_at.astimezone(TZ).isoformat(),
            "time_text": span_text(s.starts_at, s.ends_at),
            "capacity": s.capacity, "remaining": max(0, s.capacity - s.booked), "closed": s.closed}


async def open_slots(snap: Snapshot, hall_code: str, item_code: str, now: datetime,
                     day: date | None = None) -> list[Slot]:
    item = _item_and_hall(snap, item_code, hall_code)
    days = bookable_days(now.astimezone(TZ).date())
    if day is not None and day not in days:
        return []  # only today and the six days after are open for booking
    query = Slot.filter(hall_code=hall_code, category=item["category"], closed=False,
                        starts_at__gt=now + BOOKING_CUTOFF, booked__lt=F("capacity"))
    query = query.filter(day=day) if day else query.filter(day__lte=days[-1])
    return await query.order_by("starts_at")


async def mark_no_shows(now: datetime, citizen: Citizen | None = None, conn=None) -> int:
    query = Appointment.filter(status="booked", slot__ends_at__lt=now).using_db(conn)
    if citizen is not None:
        query = query.filter(citizen=citizen)
    ids = await query.values_list("id", flat=True)
    if ids:
        await Appointment.filter(id__in=list(ids), status="booked").using_db(conn).update(status="no_show", active_key=None)
        log.info("no_shows_marked", count=len(ids))
    return len(ids)


async def _citizen_record(conn, citizen: Citizen, now: datetime) -> list[dict[str, Any]]:
    """The citizen's bookings that matter to the rules (active ones and recent no-shows), in one query."""
    return await (Appointment.filter(citizen=citizen, status__in=("booked", "no_show"),
                                     slot__ends_at__gte=now - NO_SHOW_WINDOW)
                  .using_db(conn).values("id", "status", "item_code", "day", "slot__ends_at"))


def _block_end(record: list[dict[str, Any]], now: datetime) -> date | None:
    # A booking whose slot has ended unattended is a no-show even before housekeeping marks it.
    missed = sorted((r["day"] for r in record if r["status"] == "no_show" or r["slot__ends_at"] < now), reverse=True)
    if len(missed) < NO_SHOW_LIMIT:
        return None
    until = missed[0] + timedelta(days=BLOCK_DAYS)
    return until if until >= now.astimezone(TZ).date() else None


async def blocked_until(citizen: Citizen, now: datetime, conn=None) -> date | None:
    return _block_end(await _citizen_record(conn, citizen, now), now)


async def _take_seat(conn, citizen: Citizen, slot_id: int, item: dict[str, Any], key: str,
                     now: datetime) -> Appointment:
    """One booking inside the caller's transaction; raises a DomainError (the transaction rolls back)."""
    slot = await Slot.get_or_none(id=slot_id).using_db(conn)
    if slot is None:
        raise NotFound("slot_not_found", "没有这个预约时段", {"slot_id": "没有这个预约时段"})
    if slot.category != item["category"] or slot.hall_code not in {h["code"] for h in item["halls"]}:
        raise Conflict("slot_not_for_item", f"这个时段不受理“{item['name']}”，请重新选择时段", {"slot_id": "这个时段不受理这个事项"})
    if slot.closed:
        raise Conflict("slot_closed", "这个时段大厅已停止受理预约，请选择其他时段")
    if slot.starts_at - BOOKING_CUTOFF <= now:
        raise Conflict("slot_too_late", "这个时段已过预约截止时间（开始前1小时），请选择更晚的时段")
    if slot.day not in bookable_days(now.astimezone(TZ).date()):
        raise Conflict("slot_not_open", "这个时段还未开放预约（可预约今天起7天内）")
    record = await _citizen_record(conn, citizen, now)
    if until := _block_end(record, now):
        raise Forbidden("booking_blocked", f"您90天内爽约已达{NO_SHOW_LIMIT}次，{until.month}月{until.day}日前暂停预约",
                       {"blocked_until": until.isoformat()})
    active = [r for r in record if r["status"] == "booked" and r["slot__ends_at"] >= now]
    if len(active) >= MAX_ACTIVE:
        raise Conflict("too_many_bookings", f"您已有{MAX_ACTIVE}个未使用的预约，请先办理或取消后再预约")
    if any(r["item_code"] == item["code"] and r["day"] == slot.day for r in active):
        raise Conflict("duplicate_booking", f"您{slot.day.month}月{slot.day.day}日已预约过“{item['name']}”，同一事项每天只能预约一次")
    if len(active) < len([r for r in record if r["status"] == "booked"]):
        await mark_no_shows(now, citizen, conn)  # frees the same-day key of a missed booking
    taken = await (Slot.filter(id=slot.id, closed=False, booked__lt=F("capacity")).using_db(conn)
                   .update(booked=F("booked") + 1))
    if not taken:
        raise Conflict("slot_full", "这个时段已约满，请选择其他时段")
    appointment = await Appointment.create(
        citizen=citizen, slot=slot, item_code=item["code"], hall_code=slot.hall_code, day=slot.day, status="booked",
        idempotency_key=key, active_key=_active_key(citizen.id, item["code"], slot.day),
        check_in_code=f"{secrets.randbelow(10 ** 8):08d}", using_db=conn)
    appointment.slot = slot
    return appointment


async def _release_seat(conn, appointment: Appointment, status: str, now: datetime) -> None:
    appointment.status, appointment.active_key, appointment.cancelled_at = status, None, now
    await appointment.save(using_db=conn, update_fields=["status", "active_key", "cancelled_at"])
    await Slot.filter(id=appointment.slot_id, booked__gt=0).using_db(conn).update(booked=F("booked") - 1)


async def _existing(citizen: Citizen, key: str, slot_id: int, item_code: str, conn=None) -> Appointment | None:
    found = await Appointment.get_or_none(citizen=citizen, idempotency_key=key).using_db(conn)
    if found and (found.slot_id != slot_id or found.item_code != item_code):
        raise Conflict("idempotency_conflict", "这个请求编号已用于另一次预约", {"idempotency_key": "已用于另一次预约"})
    return found


async def _locked(conn, citizen: Citizen) -> Citizen:
    # The citizen's row lock serialises one citizen's bookings, so the per-citizen limits hold under races.
    return await Citizen.filter(id=citizen.id).using_db(conn).select_for_update().get()


async def book(snap: Snapshot, citizen: Citizen, slot_id: int, item_code: str, key: str,
               now: datetime) -> tuple[Appointment, bool]:
    """(appointment, created); the same idempotency key returns the first booking."""
    item = item_or_raise(snap, item_code)
    try:
        async with in_transaction() as conn:
            await _locked(conn, citizen)
            if found := await _existing(citizen, key, slot_id, item["code"], conn):
                return found, False
            appointment = await _take_seat(conn, citizen, slot_id, item, key, now)
    except IntegrityError:
        # A concurrent twin of this request, or a same-day booking of the item, committed first.
        if found := await _existing(citizen, key, slot_id, item["code"]):
            return found, False
        raise Conflict("duplicate_booking", f"您当天已预约过“{item['name']}”，同一事项每天只能预约一次") from None
    log.info("booked", appointment=appointment.id, citizen=citizen.id, slot=slot_id, item=item["code"])
    return appointment, True


async def own_appointment(citizen: Citizen, appointment_id: int, conn=None) -> Appointment:
    a = await Appointment.get_or_none(id=appointment_id, citizen=citizen).using_db(conn).prefetch_related("slot")
    if a is None:
        raise NotFound("appointment_not_found", "没有找到这个预约")
    return a


def _check_cancellable(a: Appointment, now: datetime) -> None:
    if a.status != "booked":
        raise Conflict("not_cancellable", f"这个预约{STATUS_TEXT[a.status]}，不能取消")
    if a.slot.starts_at - BOOKING_CUTOFF <= now:
        raise Conflict("cancel_too_late", "距预约时间已不足1小时，不能在线取消；如不能到场，请致电大厅说明")


async def cancel(citizen: Citizen, appointment_id: int, now: datetime) -> Appointment:
    async with in_transaction() as conn:
        await _locked(conn, citizen)
        a = await own_appointment(citizen, appointment_id, conn)
        _check_cancellable(a, now)
        await _release_seat(conn, a, "cancelled", now)
    log.info("cancelled", appointment=a.id, citizen=citizen.id)
    return a


async def reschedule(snap: Snapshot, citizen: Citizen, appointment_id: int, slot_id: int, key: str,
                     now: datetime) -> tuple[Appointment, bool]:
    """Cancel + book in one transaction: when the new booking fails the old one stays as it was."""
    await mark_no_shows(now, citizen)
    old = await own_appointment(citizen, appointment_id)
    if found := await _existing(citizen, key, slot_id, old.item_code):
        return found, False
    item = snap.items[old.item_code]
    async with in_transaction() as conn:
        await _locked(conn, citizen)
        old = await own_appointment(citizen, appointment_id, conn)
        _check_cancellable(old, now)
        await _release_seat(conn, old, "cancelled", now)
        new = await _take_seat(conn, citizen, slot_id, item, key, now)
    log.info("rescheduled", old=old.id, new=new.id, citizen=citizen.id)
    return new, True


async def my_appointments(citizen: Citizen, now: datetime, active_only: bool = False) -> list[Appointment]:
    await mark_no_shows(now, citizen)
    query = Appointment.filter(citizen=citizen)
    if active_only:
        query = query.filter(status="booked")
    return await query.order_by("-day", "-id").prefetch_related("slot")


async def check_in(snap: Snapshot, appointment: Appointment, now: datetime) -> Appointment:
    """At the hall: from half an hour before the slot until it ends; gives a queue number."""
    if appointment.status == "checked_in":
        return appointment  # scanning the code twice shows the same number
    if appointment.status != "booked":
        raise Conflict("not_checkable", f"这个预约{STATUS_TEXT[appointment.status]}，不能签到")
    slot = appointment.slot
    if now < slot.starts_at - CHECK_IN_EARLY:
        raise Conflict("check_in_too_early", f"请在预约时间前30分钟内签到（{moment_text(slot.starts_at)}）")
    if now > slot.ends_at:
        raise Conflict("check_in_too_late", "预约时段已结束，请现场取号办理")
    window = window_for(snap, appointment.hall_code, slot.category)
    if window is None:
        raise Conflict("no_window", "该大厅目前没有受理这类事项的窗口，请咨询导办台")
    async with in_transaction() as conn:
        issued = await next_number(f"queue:{appointment.hall_code}:{window['code']}", slot.day, conn)
        appointment.queue_number = f"{window['code']}{issued:03d}"
        appointment.status, appointment.checked_in_at = "checked_in", now
        await appointment.save(using_db=conn, update_fields=["queue_number", "status", "checked_in_at"])
    log.info("checked_in", appointment=appointment.id, queue_number=appointment.queue_number)
    return appointment


async def appointment_by_code(code: str) -> Appointment:
    a = await Appointment.get_or_none(check_in_code=code).prefetch_related("slot")
    if a is None:
        raise NotFound("invalid_check_in_code", "签到码无效，请核对后重试", {"code": "签到码无效"})
    return a


async def appointment_by_id(appointment_id: int) -> Appointment:
    a = await Appointment.get_or_none(id=appointment_id).prefetch_related("slot")
    if a is None:
        raise NotFound("appointment_not_found", "没有找到这个预约")
    return a


async def mark_attendance(snap: Snapshot, appointment: Appointment, attended: bool, now: datetime) -> Appointment:
    if attended:
        return await check_in(snap, appointment, min(now, appointment.slot.ends_at))
    if appointment.status != "booked":
        raise Conflict("not_markable", f"这个预约{STATUS_TEXT[appointment.status]}，不能标记爽约")
    if now < appointment.slot.starts_at:
        raise Conflict("not_started", "预约时段还没开始，不能标记爽约")
    appointment.status, appointment.active_key = "no_show", None
    await appointment.save(update_fields=["status", "active_key"])
    return appointment


async def hall_bookings(hall_code: str, day: date) -> list[Appointment]:
    return await (Appointment.filter(hall_code=hall_code, day=day).prefetch_related("slot", "citizen")
                  .order_by("slot__starts_at", "id"))


async def close_slot(snap: Snapshot, notifier: Notifier, slot_id: int, reason: str, now: datetime) -> list[Appointment]:
    """Closes a slot; its bookings are cancelled by the hall and each citizen is told."""
    async with in_transaction() as conn:
        slot = await Slot.filter(id=slot_id).using_db(conn).select_for_update().first()
        if slot is None:
            raise NotFound("slot_not_found", "没有这个预约时段")
        slot.closed, slot.closed_reason = True, reason
        await slot.save(using_db=conn, update_fields=["closed", "closed_reason"])
        affected = await Appointment.filter(slot_id=slot_id, status="booked").using_db(conn)
        for a in affected:
            await _release_seat(conn, a, "closed", now)
    for a in affected:
        a.slot = slot
        citizen = await Citizen.get(id=a.citizen_id)
        item = snap.items.get(a.item_code, {})
        await notifier.send(citizen, "slot_closed", f"slot_closed:{a.id}",
                            {"thing1": item.get("name", a.item_code), "time2": moment_text(slot.starts_at),
                             "thing3": reason or "大厅临时调整", "thing4": "预约已取消，请重新预约"})
    log.info("slot_closed", slot=slot_id, affected=len(affected))
    return affected


async def send_reminders(snap: Snapshot, notifier: Notifier, now: datetime) -> int:
    """Tomorrow's bookings get one reminder each (the notification's unique key makes it once)."""
    tomorrow = now.astimezone(TZ).date() + timedelta(days=1)
    sent = 0
    for a in await Appointment.filter(status="booked", day=tomorrow).prefetch_related("slot", "citizen"):
        item, hall = snap.items.get(a.item_code, {}), snap.halls.get(a.hall_code, {})
        note = await notifier.send(a.citizen, "reminder", f"reminder:{a.id}",
                                   {"thing1": item.get("name", a.item_code), "time2": moment_text(a.slot.starts_at),
                                    "thing3": hall.get("name", a.hall_code), "thing4": "请带齐材料提前10分钟到场签到"},
                                   page=f"pages/appointments/detail?id={a.id}")
        sent += note is not None
    return sent
