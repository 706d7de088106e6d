"""Mini-program: hall slots and the citizen's appointments; staff: a hall's day, attendance, closing a slot."""
from __future__ import annotations

from datetime import date

from aiohttp import web
from pydantic import BaseModel, Field

from miniprogram_api.auth import MANAGER, require_citizen, require_staff
from miniprogram_api.digits import plain_digits
from miniprogram_api.errors import Invalid, NotFound
from miniprogram_api.http import bool_param, json_response, parse_body
from miniprogram_api.keys import CITIZEN, CLOCK, KNOWLEDGE, NOTIFIER
from miniprogram_api.openapi import POSITIVE, Param, doc
from miniprogram_api.services import booking

routes = web.RouteTableDef()


class BookBody(BaseModel, extra="forbid"):
    slot_id: int = Field(ge=1, le=2**31 - 1)
    item_code: str = Field(min_length=1, max_length=40)
    idempotency_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_:.-]+$")


class RescheduleBody(BaseModel, extra="forbid"):
    slot_id: int = Field(ge=1, le=2**31 - 1)
    idempotency_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_:.-]+$")


class CheckInBody(BaseModel, extra="forbid"):
    code: str = Field(pattern=r"^\d{8}$")


class AttendanceBody(BaseModel, extra="forbid"):
    attended: bool


class CloseSlotBody(BaseModel, extra="forbid"):
    reason: str = Field(min_length=2, max_length=100)


def _id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not plain_digits(raw) or not 0 < int(raw) < 2**31:
        raise NotFound("appointment_not_found" if name == "id" else "slot_not_found", "没有找到这条记录")
    return int(raw)


def _day(request: web.Request, required: bool) -> date | None:
    raw = request.query.get("day", "").strip()
    if not raw:
        if required:
            raise Invalid("invalid_parameter", "请指定日期", {"day": "格式应为 YYYY-MM-DD"})
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid("invalid_parameter", "日期格式应为 YYYY-MM-DD", {"day": "格式应为 YYYY-MM-DD"}) from None


async def _snap(request: web.Request):
    return await request.app[KNOWLEDGE].snapshot()


def _hall(snap, code: str) -> dict:
    hall = snap.halls.get(code.upper())
    if hall is None:
        raise NotFound("hall_not_found", f"没有找到编码为 {code} 的大厅", {"code": "没有这个大厅编码"})
    return hall


@routes.get("/api/v1/halls/{code}/slots")
@doc("某大厅某事项可预约的时段（今天起7天）", "预约", response="SlotList",
     query=(Param("item_code", {"type": "string", "minLength": 1}, required=True),
            Param("day", {"type": "string", "format": "date"})))
async def list_slots(request: web.Request) -> web.Response:
    snap = await _snap(request)
    hall = _hall(snap, request.match_info["code"])
    item_code = request.query.get("item_code", "").strip()
    if not item_code:
        raise Invalid("invalid_parameter", "请指定要办理的事项", {"item_code": "必须填写：事项编码"})
    slots = await booking.open_slots(snap, hall["code"], item_code, request.app[CLOCK].now(), _day(request, False))
    return json_response({"hall_code": hall["code"], "item_code": item_code.upper(),
                          "slots": [booking.slot_view(s) for s in slots]})


@routes.post("/api/v1/appointments")
@doc("预约（同一 idempotency_key 只约一次）", "预约", body=BookBody, response="Appointment", status=(200, 201), auth="citizen")
@require_citizen
async def book(request: web.Request) -> web.Response:
    body = await parse_body(request, BookBody)
    snap = await _snap(request)
    appointment, created = await booking.book(snap, request[CITIZEN], body.slot_id, body.item_code,
                                              body.idempotency_key, request.app[CLOCK].now())
    if not created:
        await appointment.fetch_related("slot")
    return json_response(booking.appointment_view(appointment, snap), status=201 if created else 200)


@routes.get("/api/v1/appointments")
@doc("我的预约", "预约", response="AppointmentList", auth="citizen",
     query=(Param("active", {"type": "string", "enum": ["0", "1", "true", "false"]}),))
@require_citizen
async def my_appointments(request: web.Request) -> web.Response:
    snap = await _snap(request)
    rows = await booking.my_appointments(request[CITIZEN], request.app[CLOCK].now(),
                                         active_only=bool_param(request, "active"))
    return json_response({"appointments": [booking.appointment_view(a, snap) for a in rows]})


@routes.get("/api/v1/appointments/{id}")
@doc("一个预约", "预约", response="Appointment", auth="citizen", path={"id": POSITIVE})
@require_citizen
async def get_appointment(request: web.Request) -> web.Response:
    await booking.mark_no_shows(request.app[CLOCK].now(), request[CITIZEN])
    a = await booking.own_appointment(request[CITIZEN], _id(request))
    return json_response(booking.appointment_view(a, await _snap(request)))


@routes.post("/api/v1/appointments/{id}/cancel")
@doc("取消预约（开始前1小时以前）", "预约", response="Appointment", auth="citizen", path={"id": POSITIVE})
@require_citizen
async def cancel(request: web.Request) -> web.Response:
    a = await booking.cancel(request[CITIZEN], _id(request), request.app[CLOCK].now())
    return json_response(booking.appointment_view(a, await _snap(request)))


@routes.post("/api/v1/appointments/{id}/reschedule")
@doc("改约：取消并预约新时段，失败时原预约不变", "预约", body=RescheduleBody, response="Appointment", status=(200, 201),
     auth="citizen", path={"id": POSITIVE})
@require_citizen
async def reschedule(request: web.Request) -> web.Response:
    body = await parse_body(request, RescheduleBody)
    snap = await _snap(request)
    new, created = await booking.reschedule(snap, request[CITIZEN], _id(request), body.slot_id, body.idempotency_key,
                                            request.app[CLOCK].now())
    await new.fetch_related("slot")
    return json_response(booking.appointment_view(new, snap), status=201 if created else 200)


@routes.get("/admin/halls/{code}/bookings")
@doc("大厅某天的预约", "大厅管理", response="HallBookings", auth="staff", query=(Param("day", {"type": "string", "format": "date"}),))
@require_staff(*MANAGER)
async def hall_day(request: web.Request) -> web.Response:
    snap = await _snap(request)
    hall = _hall(snap, request.match_info["code"])
    day = _day(request, False) or request.app[CLOCK].now().date()
    rows = await booking.hall_bookings(hall["code"], day)
    return json_response({"hall_code": hall["code"], "day": day.isoformat(), "bookings": [
        {**booking.appointment_view(a, snap), "citizen": {"id": a.citizen.id, "name": a.citizen.name}} for a in rows]})


@routes.post("/admin/check-in")
@doc("凭签到码签到并取号", "大厅管理", body=CheckInBody, response="Appointment", auth="staff")
@require_staff(*MANAGER)
async def check_in_by_code(request: web.Request) -> web.Response:
    body = await parse_body(request, CheckInBody)
    snap = await _snap(request)
    a = await booking.check_in(snap, await booking.appointment_by_code(body.code), request.app[CLOCK].now())
    return json_response(booking.appointment_view(a, snap))


@routes.post("/admin/appointments/{id}/check-in")
@doc("为预约签到并取号", "大厅管理", response="Appointment", auth="staff", path={"id": POSITIVE})
@require_staff(*MANAGER)
async def check_in(request: web.Request) -> web.Response:
    snap = await _snap(request)
    a = await booking.check_in(snap, await booking.appointment_by_id(_id(request)), request.app[CLOCK].now())
    return json_response(booking.appointment_view(a, snap))


@routes.post("/admin/appointments/{id}/attendance")
@doc("登记到场或爽约", "大厅管理", body=AttendanceBody, response="Appointment", auth="staff", path={"id": POSITIVE})
@require_staff(*MANAGER)
async def attendance(request: web.Request) -> web.Response:
    body = await parse_body(request, AttendanceBody)
    snap = await _snap(request)
    a = await booking.mark_attendance(snap, await booking.appointment_by_id(_id(request)), body.attended,
                                      request.app[CLOCK].now())
    return json_response(booking.appointment_view(a, snap))


@routes.post("/admin/slots/{slot_id}/close")
@doc("关闭时段（已约群众收到通知）", "大厅管理", body=CloseSlotBody, response="SlotClosed", auth="staff", path={"slot_id": POSITIVE})
@require_staff(*MANAGER)
async def close_slot(request: web.Request) -> web.Response:
    body = await parse_body(request, CloseSlotBody)
    snap = await _snap(request)
    affected = await booking.close_slot(snap, request.app[NOTIFIER], _id(request, "slot_id"), body.reason,
                                        request.app[CLOCK].now())
    return json_response({"slot_id": int(request.match_info["slot_id"]), "closed": True,
                          "cancelled_appointments": [a.id for a in affected]})
