"""Booking a hall slot in chat (item → hall → day → time → confirm), my appointments, and
cancelling — the same booking service as the mini-program API, in a Rasa form per dialogue."""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import replies
from bot.choices import pick
from bot.dialogue import citizen_of, clear, misunderstood, stop_form, wants_to_stop, yes_or_no
from bot.understanding import resolve_item
from bot.when import parse_day, parse_time, part_of_day
from knowledge.normalize import normalize
from knowledge.service import KnowledgeService, Snapshot
from miniprogram_api.clock import TZ, Clock
from miniprogram_api.errors import ApiError
from miniprogram_api.services import booking

BOOKING_SLOTS = ("booking_item", "booking_hall", "booking_day", "booking_slot", "booking_confirmed", "booking_options")
CANCEL_SLOTS = ("cancel_choice", "cancel_confirmed", "cancel_options")
WEEKDAYS = "一二三四五六日"
MAX_TIMES_LISTED = 12


def day_text(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def hall_in_text(snap: Snapshot, text: str, codes: list[str]) -> str | None:
    t = normalize(text)
    for code in codes:
        hall = snap.halls[code]
        names = {hall["name"], hall["district"], hall["name"].replace("政务服务中心", ""), code.lower()}
        if any(n and normalize(n) in t for n in names if len(n) >= 2):
            return code
    return None


class _Booking:
    """What the booking actions share: the knowledge base and the clock."""

    def __init__(self, knowledge: KnowledgeService, clock: Clock):
        self.knowledge, self.clock = knowledge, clock

    async def open_days(self, snap: Snapshot, item: str, hall: str) -> "OrderedDict[date, int]":
        days: OrderedDict[date, int] = OrderedDict()
        for s in await booking.open_slots(snap, hall, item, self.clock.now()):
            days[s.day] = days.get(s.day, 0) + s.capacity - s.booked
        return days

    def halls_of(self, snap: Snapshot, item: str) -> list[str]:
        return [h["code"] for h in snap.items[item]["halls"]]


class StartBooking(_Booking, Action):
    """Starts the booking form with what the sentence (or the conversation) already says."""

    def name(self) -> str:
        return "action_start_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        snap = await self.knowledge.snapshot()
        message = tracker.latest_message
        text, entities = message.get("text") or "", message.get("entities") or []
        events = clear(tracker, *BOOKING_SLOTS)
        found = resolve_item(snap, entities, text)
        code = found.code or (tracker.get_slot("current_item") if not found.candidates else None)
        if code in snap.items and snap.items[code]["halls"]:
            events.append(SlotSet("booking_item", code))
            halls = self.halls_of(snap, code)
            hall = halls[0] if len(halls) == 1 else hall_in_text(snap, text, halls)
            if hall:
                events.append(SlotSet("booking_hall", hall))
                day = parse_day(text, self.clock.now().date())
                if day and day in await self.open_days(snap, code, hall):
                    events.append(SlotSet("booking_day", day.isoformat()))
        elif found.candidates:
            events.append(SlotSet("booking_options", found.candidates))
        return events + [FollowupAction("booking_form")]


class AskBookingItem(_Booking, Action):
    def name(self) -> str:
        return "action_ask_booking_item"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        options = [c for c in tracker.get_slot("booking_options") or [] if c in snap.items]
        if options:
            dispatcher.utter_message(text=replies.numbered("您要预约办理哪一项？", [snap.items[c]["name"] for c in options]))
        else:
            dispatcher.utter_message(text=replies.BOOKING_ASK_ITEM)
        return []


class AskBookingHall(_Booking, Action):
    def name(self) -> str:
        return "action_ask_booking_hall"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        halls = self.halls_of(snap, tracker.get_slot("booking_item"))
        lines = [f"{snap.halls[h]['name']}（{snap.halls[h]['address']}）" for h in halls]
        dispatcher.utter_message(text=replies.numbered("请选择办理大厅：", lines))
        return [SlotSet("booking_options", halls)]


class AskBookingDay(_Booking, Action):
    def name(self) -> str:
        return "action_ask_booking_day"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        days = await self.open_days(snap, tracker.get_slot("booking_item"), tracker.get_slot("booking_hall"))
        lines = [f"{day_text(d)} 余{n}个号" for d, n in days.items()]
        dispatcher.utter_message(text=replies.numbered("请选择日期：", lines))
        return [SlotSet("booking_options", [d.isoformat() for d in days])]


class AskBookingSlot(_Booking, Action):
    def name(self) -> str:
        return "action_ask_booking_slot"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        day = date.fromisoformat(tracker.get_slot("booking_day"))
        slots = (await booking.open_slots(snap, tracker.get_slot("booking_hall"), tracker.get_slot("booking_item"),
                                          self.clock.now(), day))[:MAX_TIMES_LISTED]
        lines = [f"{s.starts_at.astimezone(TZ):%H:%M}—{s.ends_at.astimezone(TZ):%H:%M} 余{s.capacity - s.booked}个号"
                 for s in slots]
        dispatcher.utter_message(text=replies.numbered(f"{day_text(day)}可约时段：", lines))
        return [SlotSet("booking_options", [str(s.id) for s in slots])]


class AskBookingConfirmed(_Booking, Action):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        item, hall = snap.items[tracker.get_slot("booking_item")], snap.halls[tracker.get_slot("booking_hall")]
        slot = await booking.Slot.get(id=int(tracker.get_slot("booking_slot")))
        dispatcher.utter_message(text=replies.BOOKING_CONFIRM.format(
            item=item["name"], hall=hall["name"], day=day_text(slot.day),
            time=f"{slot.starts_at.astimezone(TZ):%H:%M}—{slot.ends_at.astimezone(TZ):%H:%M}"))
        return []


class ValidateBookingForm(_Booking, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    def _options(self, tracker: Tracker) -> list[str]:
        return tracker.get_slot("booking_options") or []

    async def validate_booking_item(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"booking_item": None}
        if wants_to_stop(tracker):
            return stop_form("booking_item", replies.BOOKING_STOPPED, dispatcher, tracker)
        snap = await self.knowledge.snapshot()
        if value in snap.items:
            return {"booking_item": value}
        options = self._options(tracker)
        idx = pick(value, [snap.items[c]["name"] for c in options]) if options else None
        if idx is not None:
            code = options[idx]
        else:
            found = resolve_item(snap, tracker.latest_message.get("entities") or [], value)
            if found.ambiguous:
                return {"booking_item": None, "booking_options": found.candidates}
            code = found.code
        if code is None or not snap.items[code]["halls"]:
            if code is None:
                misunderstood(dispatcher, tracker, replies.BOOKING_ITEM_UNKNOWN)
            else:
                dispatcher.utter_message(text=replies.BOOKING_ONLINE_ONLY.format(item=snap.items[code]["name"]))
            return {"booking_item": None, "booking_options": None}
        halls = self.halls_of(snap, code)
        return {"booking_item": code, "booking_options": None, **({"booking_hall": halls[0]} if len(halls) == 1 else {})}

    async def validate_booking_hall(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"booking_hall": None}
        if wants_to_stop(tracker):
            return stop_form("booking_hall", replies.BOOKING_STOPPED, dispatcher, tracker)
        snap = await self.knowledge.snapshot()
        item = tracker.get_slot("booking_item")
        halls = self.halls_of(snap, item)
        if value in halls:
            code = value
        else:
            idx = pick(value, [snap.halls[h]["name"] for h in halls])
            code = halls[idx] if idx is not None else hall_in_text(snap, value, halls)
        if code is None:
            misunderstood(dispatcher, tracker, replies.CHOICE_NOT_UNDERSTOOD)
            return {"booking_hall": None}
        if not await self.open_days(snap, item, code):
            dispatcher.utter_message(text=replies.BOOKING_HALL_FULL.format(hall=snap.halls[code]["name"]))
            return {"booking_hall": None}
        return {"booking_hall": code, "booking_options": None}

    async def validate_booking_day(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"booking_day": None}
        if wants_to_stop(tracker):
            return stop_form("booking_day", replies.BOOKING_STOPPED, dispatcher, tracker)
        options = self._options(tracker)
        if value in options:
            return {"booking_day": value, "booking_options": None}
        day = parse_day(value, self.clock.now().date())
        if day is None and options:
            idx = pick(value, [day_text(date.fromisoformat(d)) for d in options])
            day = date.fromisoformat(options[idx]) if idx is not None else None
        if day is None:
            misunderstood(dispatcher, tracker, replies.CHOICE_NOT_UNDERSTOOD)
            return {"booking_day": None}
        if day.isoformat() not in options:
            dispatcher.utter_message(text=replies.BOOKING_DAY_CLOSED.format(day=day_text(day)))
            return {"booking_day": None}
        return {"booking_day": day.isoformat(), "booking_options": None}

    async def validate_booking_slot(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"booking_slot": None}
        if wants_to_stop(tracker):
            return stop_form("booking_slot", replies.BOOKING_STOPPED, dispatcher, tracker)
        options = self._options(tracker)
        if value in options:
            return {"booking_slot": value, "booking_options": None}
        slots = {s.id: s for s in await booking.Slot.filter(id__in=[int(o) for o in options])}
        ordered = [slots[int(o)] for o in options if int(o) in slots]
        starts = [s.starts_at.astimezone(TZ) for s in ordered]
        chosen = None
        at = parse_time(value)
        if at is not None:
            chosen = next((s for s, t in zip(ordered, starts) if t.time() <= at < s.ends_at.astimezone(TZ).time()), None)
        if chosen is None and at is None:
            idx = pick(value, [f"{t:%H:%M}" for t in starts])
            if idx is not None:
                chosen = ordered[idx]
            elif part := part_of_day(value):
                chosen = next((s for s, t in zip(ordered, starts)
                               if (part == "am") == (t.hour < 12) and (part != "noon" or 12 <= t.hour < 14)), None)
        if chosen is None:
            misunderstood(dispatcher, tracker, replies.BOOKING_TIME_UNKNOWN)
            return {"booking_slot": None}
        return {"booking_slot": str(chosen.id), "booking_options": None}

    async def validate_booking_confirmed(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"booking_confirmed": None}
        answer = yes_or_no(tracker)
        if answer is True:
            return {"booking_confirmed": "yes"}
        if answer is False or wants_to_stop(tracker):
            return stop_form("booking_confirmed", replies.BOOKING_STOPPED, dispatcher, tracker)
        misunderstood(dispatcher, tracker, replies.CONFIRM_NOT_UNDERSTOOD)
        return {"booking_confirmed": None}


class SubmitBooking(_Booking, Action):
    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher, tracker, domain):
        events = clear(tracker, *BOOKING_SLOTS)
        if tracker.get_slot("booking_confirmed") != "yes":
            return events
        citizen = await citizen_of(tracker)
        if citizen is None:
            dispatcher.utter_message(text=replies.BOOKING_NEEDS_ACCOUNT)
            return events
        snap = await self.knowledge.snapshot()
        # The key ties retries of this confirming message to one booking, and no other.
        key = hashlib.sha256(f"{tracker.sender_id}|{tracker.latest_message.get('message_id')}".encode()).hexdigest()[:40]
        try:
            appointment, _ = await booking.book(snap, citizen, int(tracker.get_slot("booking_slot")),
                                                tracker.get_slot("booking_item"), key, self.clock.now())
        except ApiError as exc:
            dispatcher.utter_message(text=f"预约没有成功：{exc.message}")
            return events
        view = booking.appointment_view(appointment, snap)
        dispatcher.utter_message(text=replies.BOOKED.format(**view))
        return events


class MyAppointments(_Booking, Action):
    def name(self) -> str:
        return "action_my_appointments"

    async def run(self, dispatcher, tracker, domain):
        citizen = await citizen_of(tracker)
        rows = await booking.my_appointments(citizen, self.clock.now(), active_only=True) if citizen else []
        if not rows:
            dispatcher.utter_message(text=replies.NO_APPOINTMENTS)
            return []
        snap = await self.knowledge.snapshot()
        lines = [replies.APPOINTMENT_LINE.format(**booking.appointment_view(a, snap)) for a in rows]
        dispatcher.utter_message(text="您的预约：\n" + "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
                                 + "\n如需取消，请说“取消预约”。")
        return []


class StartCancel(_Booking, Action):
    def name(self) -> str:
        return "action_start_cancel"

    async def run(self, dispatcher, tracker, domain):
        citizen = await citizen_of(tracker)
        rows = await booking.my_appointments(citizen, self.clock.now(), active_only=True) if citizen else []
        events = clear(tracker, *CANCEL_SLOTS)
        if not rows:
            dispatcher.utter_message(text=replies.NO_APPOINTMENTS)
            return events
        snap = await self.knowledge.snapshot()
        text = tracker.latest_message.get("text") or ""
        found = resolve_item(snap, tracker.latest_message.get("entities") or [], text)
        day = parse_day(text, self.clock.now().date())
        matching = rows
        if found.code in {a.item_code for a in rows}:
            matching = [a for a in matching if a.item_code == found.code]
        if day in {a.day for a in matching}:
            matching = [a for a in matching if a.day == day]
        events.append(SlotSet("cancel_options", [str(a.id) for a in rows]))
        if len(matching) == 1:
            events.append(SlotSet("cancel_choice", str(matching[0].id)))
        return events + [FollowupAction("cancel_form")]


class AskCancelChoice(_Booking, Action):
    def name(self) -> str:
        return "action_ask_cancel_choice"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        ids = [int(i) for i in tracker.get_slot("cancel_options") or []]
        rows = {a.id: a for a in await booking.Appointment.filter(id__in=ids).prefetch_related("slot")}
        lines = [replies.APPOINTMENT_LINE.format(**booking.appointment_view(rows[i], snap)) for i in ids if i in rows]
        dispatcher.utter_message(text=replies.numbered("要取消哪一个预约？", lines))
        return []


class AskCancelConfirmed(_Booking, Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher, tracker, domain):
        snap = await self.knowledge.snapshot()
        a = await booking.Appointment.get(id=int(tracker.get_slot("cancel_choice"))).prefetch_related("slot")
        line = replies.APPOINTMENT_LINE.format(**booking.appointment_view(a, snap))
        dispatcher.utter_message(text=f"确认取消这个预约吗？\n{line}\n回复“确认”取消，回复“不”保留。")
        return []


class ValidateCancelForm(_Booking, FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_form"

    async def validate_cancel_choice(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"cancel_choice": None}
        options = tracker.get_slot("cancel_options") or []
        if value in options:
            return {"cancel_choice": value}
        if wants_to_stop(tracker):
            return stop_form("cancel_choice", replies.CANCEL_KEPT, dispatcher, tracker)
        snap = await self.knowledge.snapshot()
        rows = {a.id: a for a in await booking.Appointment.filter(id__in=[int(o) for o in options])}
        names = [f"{snap.items.get(rows[int(o)].item_code, {}).get('name', '')}{day_text(rows[int(o)].day)}"
                 for o in options if int(o) in rows]
        idx = pick(value, names)
        if idx is None:
            misunderstood(dispatcher, tracker, replies.CHOICE_NOT_UNDERSTOOD)
            return {"cancel_choice": None}
        return {"cancel_choice": options[idx]}

    async def validate_cancel_confirmed(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"cancel_confirmed": None}
        answer = yes_or_no(tracker)
        if answer is None and "取消" in value:
            answer = True  # "取消吧" answers "确认取消吗"
        if answer is True:
            return {"cancel_confirmed": "yes"}
        if answer is False or wants_to_stop(tracker):
            return stop_form("cancel_confirmed", replies.CANCEL_KEPT, dispatcher, tracker)
        misunderstood(dispatcher, tracker, replies.CONFIRM_NOT_UNDERSTOOD)
        return {"cancel_confirmed": None}


class SubmitCancel(_Booking, Action):
    def name(self) -> str:
        return "action_submit_cancel"

    async def run(self, dispatcher, tracker, domain):
        events = clear(tracker, *CANCEL_SLOTS)
        if tracker.get_slot("cancel_confirmed") != "yes":
            return events
        citizen = await citizen_of(tracker)
        try:
            a = await booking.cancel(citizen, int(tracker.get_slot("cancel_choice")), self.clock.now())
        except ApiError as exc:
            dispatcher.utter_message(text=f"没能取消：{exc.message}")
            return events
        view = booking.appointment_view(a, await self.knowledge.snapshot())
        dispatcher.utter_message(text=replies.CANCELLED.format(**view))
        return events


def booking_actions(knowledge: KnowledgeService, clock: Clock) -> list[Action]:
    return [cls(knowledge, clock) for cls in (
        StartBooking, AskBookingItem, AskBookingHall, AskBookingDay, AskBookingSlot, AskBookingConfirmed,
        ValidateBookingForm, SubmitBooking, MyAppointments, StartCancel, AskCancelChoice, AskCancelConfirmed,
        ValidateCancelForm, SubmitCancel)]
