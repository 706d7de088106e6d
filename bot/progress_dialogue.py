"""Application progress in chat: the number (受理编号) and the last 4 characters of the applicant's ID
number, then the status and the latest step — the same query as the public progress API."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet

from bot import replies
from bot.dialogue import citizen_of, clear, stop_form, wants_to_stop
from bot.error_replies import chat_reply
from bot.form_steps import not_usable
from knowledge.service import KnowledgeService, Snapshot
from miniprogram_api.clock import Clock
from miniprogram_api.errors import DomainError
from miniprogram_api.models import Citizen
from miniprogram_api.services import applications

PROGRESS_SLOTS = ("progress_number", "progress_id4")
NUMBER = re.compile(r"[Yy][Xx]\d{14}")
LAST4 = re.compile(r"(?<![\dXx])(\d{3}[\dXx])(?![\dXx])")


def number_in(text: str, entities: list[dict[str, Any]]) -> str | None:
    for e in entities:
        if e.get("entity") == "application_number" and NUMBER.fullmatch(str(e.get("value", "")).strip()):
            return str(e["value"]).strip().upper()
    m = NUMBER.search(text)
    return m.group().upper() if m else None


async def progress_reply(snap: Snapshot, number: str, id_last4: str, who: str, now: datetime,
                         citizen: Citizen | None = None) -> str:
    """The bot's answer to a progress question: the status, the latest step, the promised date."""
    try:
        a = await applications.query_progress(number, id_last4, who, now, citizen)
    except DomainError as exc:
        return chat_reply(exc)
    events = await applications.timeline(a)
    view = applications.application_view(a, snap, now, events)
    last = view["timeline"][-1]
    lines = [f"办件 {a.number}（{view['item_name']}）", f"当前状态：{a.status}",
             f"最近一步：{last['at'][:16].replace('T', ' ')} {last['note'] or last['status']}"]
    if a.status == "补正":
        lines.append("需要补交：" + "、".join(a.supplement))
    elif a.status == "不予受理":
        lines.append("理由：" + a.reason)
    if a.promised_date and a.status in applications.OPEN:
        late = "（已超期，我们会督办）" if view["overdue"] else ""
        lines.append(f"承诺办结日期：{a.promised_date.month}月{a.promised_date.day}日{late}")
    return "\n".join(lines)


class _Progress:
    def __init__(self, knowledge: KnowledgeService, clock: Clock):
        self.knowledge, self.clock = knowledge, clock


class StartProgress(_Progress, Action):
    def name(self) -> str:
        return "action_start_progress"

    async def run(self, dispatcher, tracker: Tracker, domain):
        message = tracker.latest_message
        events = clear(tracker, *PROGRESS_SLOTS)
        if number := number_in(message.get("text") or "", message.get("entities") or []):
            events.append(SlotSet("progress_number", number))
        return events + [FollowupAction("progress_form")]


class AskProgressNumber(_Progress, Action):
    def name(self) -> str:
        return "action_ask_progress_number"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=replies.PROGRESS_ASK_NUMBER)
        return []


class AskProgressId4(_Progress, Action):
    def name(self) -> str:
        return "action_ask_progress_id4"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=replies.PROGRESS_ASK_ID4)
        return []


class ValidateProgressForm(_Progress, FormValidationAction):
    def name(self) -> str:
        return "validate_progress_form"

    async def validate_progress_number(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"progress_number": None}
        if NUMBER.fullmatch(value or ""):
            return {"progress_number": value.upper()}
        if wants_to_stop(tracker):
            return stop_form("progress_number", replies.PROGRESS_STOPPED, dispatcher, tracker)
        number = number_in(value, tracker.latest_message.get("entities") or [])
        if number is None:
            return await not_usable("progress_number", replies.PROGRESS_NUMBER_INVALID, dispatcher, tracker,
                                    self.knowledge, self.clock)
        return {"progress_number": number}

    async def validate_progress_id4(self, value, dispatcher, tracker, domain):
        if value is None:
            return {"progress_id4": None}
        if wants_to_stop(tracker):
            return stop_form("progress_id4", replies.PROGRESS_STOPPED, dispatcher, tracker)
        m = LAST4.search(value.replace(" ", ""))
        if m is None:
            return await not_usable("progress_id4", replies.PROGRESS_ID4_INVALID, dispatcher, tracker,
                                    self.knowledge, self.clock)
        return {"progress_id4": m.group(1).upper()}


class SubmitProgress(_Progress, Action):
    def name(self) -> str:
        return "action_submit_progress"

    async def run(self, dispatcher, tracker, domain):
        events = clear(tracker, *PROGRESS_SLOTS)
        number, last4 = tracker.get_slot("progress_number"), tracker.get_slot("progress_id4")
        if number and last4:
            snap = await self.knowledge.snapshot()
            # The citizen behind the conversation is answered at once about their own (linked) case.
            dispatcher.utter_message(text=await progress_reply(snap, number, last4, f"chat:{tracker.sender_id}",
                                                               self.clock.now(), await citizen_of(tracker)))
        return events


def progress_actions(knowledge: KnowledgeService, clock: Clock) -> list[Action]:
    return [cls(knowledge, clock) for cls in (StartProgress, AskProgressNumber, AskProgressId4, ValidateProgressForm, SubmitProgress)]
