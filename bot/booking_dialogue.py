"""Booking a hall slot in chat (item → hall → day → time → confirm), my appointments, and
cancelling — the same booking service as the mini-program API, in a Rasa form per dialogue."""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import replies
from bot.choices import pick
from bot.dialogue import citizen_of, clear, is_question, stop_form, this_session_backwards, wants_to_stop, yes_or_no
from bot.error_replies import chat_reply
from bot.form_steps import not_usable
from bot.halls import hall_in_text
from bot.understanding import resolve_item
from bot.when import parse_day, parse_time, part_of_day
from knowledge.normalize import normalize
from knowledge.service import KnowledgeService, Snapshot
from miniprogram_api.clock import TZ, Clock, clock_text, day_text, span_text
from miniprogram_api.errors import DomainError
from miniprogram_api.services import booking

BOOKING_SLOTS = ("booking_item", "booking_hall", "booking_day", "booking_slot", "booking_confirmed", "booking_options")
CANCEL_SLOTS = ("cancel_choice", "cancel_confirmed", "cancel_options")


def _in_part(slot, part: str) -> bool:
    hour = slot.starts_at.astimezone(TZ).hour
    return hour < 12 if part == "am" else 12 <= hour < 14 if part == "noon" else hour >= 12


def slot_at(slots: list, at) -> Any:
    """The open slot a time falls in ("4点半" → 16:30—17:00), or None."""
    return next((s for s in slots if s.starts_at.astimezone(TZ).time() <= at < s.ends_at.astimezone(TZ).time()), None)


_NEED_TO_BOOK = re.compile(r"(要不要|用不用|需不需要)先?(预约|约)|(需要|一定要|必须|得|用|要)先?(预约|约)(吗|么|嘛|不|？|\?)")
_WANTS_TO_BOOK = re.compile(r"帮|给我|我要|我想|替我|能不能|可以|怎么")


# "你们这儿能办结婚证吗" asks whether (and so where) an item is handled, though the NLU may read a wish to
# book in it; a booking says so (预约, 约, 号) or names a day or a time.
_CAN_IT_BE_DONE = re.compile(r"(能|可以|能不能|可不可以|能否)(在这|在这儿|在这里|在你们这)?(办|办理)|办得了|能办不")
_BOOKING_WORDS = re.compile(r"预约|约|挂号|排号|取号|号")


def asks_whether_it_is_done_here(text: str, entities: list[dict[str, Any]]) -> bool:
    t = normalize(text)
    return bool(_CAN_IT_BE_DONE.search(t)) and is_question(t) and not _BOOKING_WORDS.search(t) \
        and not any(e.get("entity") in ("date", "time") for e in entities)


def asks_whether_to_book(text: str) -> bool:
    """"要预约吗？" asks whether booking is needed; "可以帮我预约吗" asks for a booking."""
    t = normalize(text)
    return bool(_NEED_TO_BOOK.search(t)) and not _WANTS_TO_BOOK.search(t)


def request_text(tracker: Tracker) -> str:
    """What the citizen said when the booking started ("帮我约明天上午办护照"): the form uses the day and
    time in it once it knows the hall, instead of asking again."""
    started = False
    for event in this_session_backwards(tracker):
        if event.get("event") == "action" and event.get("name") == "action_start_booking":
            started = True
        elif started and event.get("event") == "user":
            return event.get("text") or ""
    return ""


def slot_list(day: date, slots: list, wanted: str | None) -> str:
    """The day's open times, grouped into 上午 / 下午 with the seats left, short enough for a phone.
    With a wanted part of the day ("明天上午"), that part only, and a word that the other has seats too."""
    parts: dict[str, list[str]] = {"上午": [], "下午": []}
    for s in slots:
        start = s.starts_at.astimezone(TZ)
        parts["上午" if start.hour < 12 else "下午"].append(f"{clock_text(start)}余{s.capacity - s.booked}")
    shown = {"am": "上午", "pm": "下午"}.get(wanted or "")
    lines = [f"{day_text(day)}可约时间（“余”后是剩余号数）："]
    for part, times in parts.items():
        if times and (shown is None or part == shown or not parts[shown]):
            lines.append(f"{part}：" + "、".join(times))
    other = [p for p, times in parts.items() if times and shown and p != shown and parts[shown]]
    if other:
        lines.append(f"{other[0]}也有号，想约{other[0]}请直接说时间。")
    lines.append("请回复时间，比如“9:30”或“下午3点”。")
    return "\n".join(lines)


class _Booking:
    """What the booking actions share: the knowledge base and the clock."""

    def __init__(self, knowledge: KnowledgeService, clock: Clock):
        self.knowledge, self.clock = knowledge, clock

    async def said_before(self, snap: Snapshot, item: str, hall: str, text: str) -> dict[str, Any]:
        """The day, and the time if it names one, that `text` asked for, where they are open at `hall`."""
        day = parse_day(text, self.clock.now().date())
        if day is None or day not in await self.open_days(snap, item, hall):
            return {}
        values = {"booking_day": day.isoformat()}
        at = parse_time(text)
        if at is not None:
            slots = await booking.open_slots(snap, hall, item, self.clock.now(), day)
            chosen = slot_at(slots, at)
            if chosen is not None:
                values["booking_slot"] = str(chosen.id)
        return values

    async def not_usable(self, slot: str, reply: str, dispatcher, tracker: Tracker) -> dict[str, Any]:
        return await not_usable(slot, reply, dispatcher, tracker, self.knowledge, self.clock)

    async def confirmation(self, slot: str, value, dispatcher, tracker: Tracker, stopped: str,
                           also_yes: str = "") -> dict[str, Any]:
        """The answer to "确认…吗？": yes, no (the form stops with `stopped`), or not understood.
        `also_yes`: a word that says yes to this question in particular."""
        if value is None:
            return {slot: None}
        answer = yes_or_no(tracker)
        if answer is None and also_yes and also_yes in value:
            answer = True
        if answer is True:
            return {slot: "yes"}
        if answer is False or wants_to_stop(tracker):
            return stop_form(slot, stopped, dispatcher, tracker)
        return await self.not_usable(slot, replies.CONFIRM_NOT_UNDERSTOOD, dispatcher, tracker)

    async def other_hall(self, value: str, tracker: Tracker) -> dict[str, Any] | None:
        """At a later step the citizen names another hall ("换到东湖"): take it, and ask the day again."""
        snap = await self.knowledge.snapshot()
        item = tracker.get_slot("booking_item")
        if item not in snap.items:
            return None
        hall = hall_in_text(snap, value, self.halls_of(snap, item))
        if hall is None or hall == tracker.get_slot("booking_hall") or not await self.open_days(snap, item, hall):
            return None
        return {"booking_hall": hall, "booking_day": None, "booking_slot": None, "booking_options": None,
                **await self.said_before(snap, item, hall, request_text(tracker))}

    async def open_days(self, snap: Snapshot, item: str, hall: str) -> OrderedDict[date, int]:
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
        if asks_whether_to_book(text):
            dispatcher.utter_message(text=replies.BOOKING_OPTIONAL)
            return [SlotSet("offer", "booking")]
        if asks_whether_it_is_done_here(text, entities):  # answered where the item is handled
            return [SlotSet("last_question", "location"), FollowupAction("action_answer_item_question")]
        events = clear(tracker, *BOOKING_SLOTS)
        found = resolve_item(snap, entities, text)
        code = found.code or (tracker.get_slot("current_item") if not found.candidates else None)
        if code in snap.items and snap.items[code]["halls"]:
            events.append(SlotSet("booking_item", code))
            halls = self.halls_of(snap, code)
            hall = halls[0] if len(halls) == 1 else hall_in_text(snap, text, halls)
            if hall:
                events.append(SlotSet("booking_hall", hall))
                events += [SlotSet(k, v) for k, v in (await self.said_before(snap, code, hall, text)).items()]
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
        slots = await booking.open_slots(snap, tracker.get_slot("booking_hall"), tracker.get_slot("booking_item"),
                                         self.clock.now(), day)
        dispatcher.utter_message(text=slot_list(day, slots, part_of_day(request_text(tracker))))
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
            time=span_text(slot.starts_at, slot.ends_at)))
        return []


class ValidateBookingForm(_Booking, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    @staticmethod
    def _typed(value: str, tracker: Tracker) -> bool:
        return normalize(value) == normalize(tracker.latest_message.get("text") or "")

    async def _prefilled_day(self, value: str, tracker: Tracker) -> bool:
        """A day action_start_booking took from the first sentence (an ISO date), still open."""
        if self._typed(value, tracker) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return False
        snap = await self.knowledge.snapshot()
        return date.fromisoformat(value) in await self.open_days(snap, tracker.get_slot("booking_item"),
                                                                 tracker.get_slot("booking_hall"))

    async def _prefilled_slot(self, value: str, tracker: Tracker) -> bool:
        """A slot action_start_booking took from the first sentence (its id), still open — not "10" typed."""
        if self._typed(value, tracker) or not value.isdigit() or not tracker.get_slot("booking_day"):
            return False
        snap = await self.knowledge.snapshot()
        slots = await booking.open_slots(snap, tracker.get_slot("booking_hall"), tracker.get_slot("booking_item"),
                                         self.clock.now(), date.fromisoformat(tracker.get_slot("booking_day")))
        return any(str(s.id) == value for s in slots)

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
                return {"booking_options": None,
                        **await self.not_usable("booking_item", replies.BOOKING_ITEM_UNKNOWN, dispatcher, tracker)}
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
            return await self.not_usable("booking_hall", replies.CHOICE_NOT_UNDERSTOOD, dispatcher, tracker)
        if not await self.open_days(snap, item, code):
            dispatcher.utter_message(text=replies.BOOKING_HALL_FULL.format(hall=snap.halls[code]["name"]))
            return {"booking_hall": None}
        return {"booking_hall": code, "booking_options": None,
                **await self.said_before(snap, item, code, request_text(tracker))}

    async def validate_booking_day(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"booking_day": None}
        if wants_to_stop(tracker):
            return stop_form("booking_day", replies.BOOKING_STOPPED, dispatcher, tracker)
        options = self._options(tracker)
        if value in options or await self._prefilled_day(value, tracker):
            return {"booking_day": value, "booking_options": None}
        day = parse_day(value, self.clock.now().date())
        if day is None and options:
            idx = pick(value, [day_text(date.fromisoformat(d)) for d in options])
            day = date.fromisoformat(options[idx]) if idx is not None else None
        if day is None:
            return await self.other_hall(value, tracker) or \
                await self.not_usable("booking_day", replies.CHOICE_NOT_UNDERSTOOD, dispatcher, tracker)
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
        if value in options or await self._prefilled_slot(value, tracker):
            return {"booking_slot": value, "booking_options": None}
        slots = {s.id: s for s in await booking.Slot.filter(id__in=[int(o) for o in options])}
        ordered = [slots[int(o)] for o in options if int(o) in slots]
        text = normalize(value)
        at = parse_time(value)
        if at is None and text.isdigit() and 7 <= int(text) <= 18:
            at = parse_time(text + "点")  # a bare "10" among times means ten o'clock
        chosen = slot_at(ordered, at) if at is not None else None
        if chosen is None and at is None:
            idx = pick(value, [clock_text(s.starts_at) for s in ordered])
            if idx is not None:
                chosen = ordered[idx]
            elif part := part_of_day(value):
                chosen = next((s for s in ordered if _in_part(s, part)), None)
        if chosen is None and at is None and (switched := await self.other_hall(value, tracker)):
            return switched
        if chosen is None:
            reply = replies.BOOKING_TIME_TAKEN.format(time=f"{at.hour}:{at.minute:02d}") if at else replies.BOOKING_TIME_UNKNOWN
            return await self.not_usable("booking_slot", reply, dispatcher, tracker)
        return {"booking_slot": str(chosen.id), "booking_options": None}

    async def validate_booking_confirmed(self, value, dispatcher, tracker, domain):
        return await self.confirmation("booking_confirmed", value, dispatcher, tracker, replies.BOOKING_STOPPED)


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
        except DomainError as exc:
            dispatcher.utter_message(text=chat_reply(exc, "预约没有成功"))
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
            return await self.not_usable("cancel_choice", replies.CHOICE_NOT_UNDERSTOOD, dispatcher, tracker)
        return {"cancel_choice": options[idx]}

    async def validate_cancel_confirmed(self, value, dispatcher, tracker, domain):
        # "取消吧" answers "确认取消吗".
        return await self.confirmation("cancel_confirmed", value, dispatcher, tracker, replies.CANCEL_KEPT, "取消")


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
        except DomainError as exc:
            dispatcher.utter_message(text=chat_reply(exc, "没能取消"))
            return events
        view = booking.appointment_view(a, await self.knowledge.snapshot())
        dispatcher.utter_message(text=replies.CANCELLED.format(**view))
        return events


def booking_actions(knowledge: KnowledgeService, clock: Clock) -> list[Action]:
    return [cls(knowledge, clock) for cls in (
        StartBooking, AskBookingItem, AskBookingHall, AskBookingDay, AskBookingSlot, AskBookingConfirmed,
        ValidateBookingForm, SubmitBooking, MyAppointments, StartCancel, AskCancelChoice, AskCancelConfirmed,
        ValidateCancelForm, SubmitCancel)]
