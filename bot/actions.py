"""Custom actions (rasa-sdk), hosted in the app so they call the same services as the API."""
from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import faq, replies
from bot.choices import pick
from bot.dialogue import ASIDE_CONFIDENCE, is_question, slot_changes, this_session_backwards, understood
from bot.understanding import choose_situation, items_named, question_asked, resolve_item, situation_in
from knowledge.bundles import situation_of
from knowledge.service import KnowledgeService, Snapshot
from miniprogram_api.clock import Clock

QUESTION_OF_INTENT = {
    "ask_materials": "materials",
    "ask_process": "process",
    "ask_time_limit": "time_limit",
    "ask_fee": "fee",
    "ask_location": "location",
}


def _reset_choice(tracker: Tracker, **slots: Any) -> list[dict[str, Any]]:
    return slot_changes(tracker, clarify=None, candidates=None, **slots)


class AnswerItemQuestion(Action):
    """Materials, process, time limit, fee and location of an item, with the clarifying questions
    (which item? which situation?) and the context that follow-ups ("要多久") rely on."""

    def __init__(self, knowledge: KnowledgeService, today=dt.date.today):
        self.knowledge = knowledge
        self.today = today

    def name(self) -> str:
        return "action_answer_item_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        snap = await self.knowledge.snapshot()
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name")
        if (message.get("intent") or {}).get("confidence", 1.0) < LOW_CONFIDENCE:
            await _remember_unanswered(tracker)
        text = message.get("text") or ""
        entities = message.get("entities") or []
        question = QUESTION_OF_INTENT.get(intent) or tracker.get_slot("last_question") or "materials"
        current = tracker.get_slot("current_item")
        current = current if current in snap.items else None
        clarify, candidates = tracker.get_slot("clarify"), tracker.get_slot("candidates") or []

        code, situation = None, None
        # A reply to "which item / which situation?" picks an option, unless it names another item
        # outright ("身份证丢了呢" while choosing a passport's situation is a new question).
        named = items_named(snap, text) if clarify else set()  # only a pending choice needs it
        if clarify == "item" and candidates and not named - set(candidates):
            idx = pick(text, [snap.items[c]["name"] for c in candidates if c in snap.items])
            code = candidates[idx] if idx is not None else None
        elif clarify == "situation" and candidates and current and not named - {current}:
            situation = choose_situation(snap.items[current], text, entities, candidates)
            code = current if situation else None
        if code is not None and clarify:
            # The choice answers the question that was pending; a question word asks another one.
            question = question_asked(text) or tracker.get_slot("last_question") or question

        if code is None:
            found = resolve_item(snap, entities, text)
            if found.ambiguous:
                options = [snap.items[c]["name"] for c in found.candidates]
                dispatcher.utter_message(text=replies.numbered("您问的是以下哪一项？", options))
                understood(dispatcher, "clarify")
                return slot_changes(tracker, clarify="item", candidates=found.candidates, last_question=question)
            code = found.code
            if code is None:
                if intent == "choose" and clarify:
                    dispatcher.utter_message(text=replies.CHOICE_NOT_UNDERSTOOD)
                    understood(dispatcher, "not_understood")
                    return []
                code = current  # a follow-up: "要多久" is about the item in context
            if code is None:
                dispatcher.utter_message(text=replies.ASK_WHICH_ITEM)
                understood(dispatcher, "clarify")
                return _reset_choice(tracker, last_question=question)
            situation = situation_in(snap.items[code], text, entities)
            if situation is None and code == current:
                situation = tracker.get_slot("current_situation")

        item = snap.items[code]
        return self._answer(dispatcher, tracker, snap, item, question, situation)

    def _answer(self, dispatcher, tracker: Tracker, snap: Snapshot, item: dict, question: str,
                situation: str | None) -> list[dict[str, Any]]:
        situations = item["situations"]
        if situation not in {s["key"] for s in situations}:
            situation = situations[0]["key"] if len(situations) == 1 else None
        if question == "materials" and situation is None:
            dispatcher.utter_message(text=replies.numbered(f"【{item['name']}】分以下几种情形，请问您是哪一种？",
                                                           [s["name"] for s in situations]))
            understood(dispatcher, "clarify", item["code"])
            return slot_changes(tracker, clarify="situation", candidates=[s["key"] for s in situations],
                                current_item=item["code"], last_question=question)
        offer = None
        if question == "materials":
            for text in replies.materials_messages(item, situation_of(item, situation)):
                dispatcher.utter_message(text=text)
            offer = "booking"
        else:
            dispatcher.utter_message(text=render_answer(item, question, snap, self.today()))
        understood(dispatcher, "answered", item["code"])
        return _reset_choice(tracker, current_item=item["code"], current_situation=situation, last_question=question,
                             offer=offer)


LOW_CONFIDENCE = 0.5


async def answer_aside(dispatcher: CollectingDispatcher, tracker: Tracker, snap: Snapshot,
                       today: dt.date) -> dict[str, Any] | None:
    """Inside a form, a reply that is plainly a question about an item ("护照要多久办好？" while choosing
    a day) is answered rather than called a wrong choice. Returns the slots to set (the form then asks
    its own question again), or None when the reply is not such a question. A materials question
    that needs a situation leaves the form for the usual "which situation?"."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    text = message.get("text") or ""
    asked = question_asked(text)
    if intent.get("name") not in QUESTION_OF_INTENT or (intent.get("confidence") or 0) < ASIDE_CONFIDENCE or not asked:
        return None
    found = resolve_item(snap, message.get("entities") or [], text)
    if found.code is None:
        return None
    item = snap.items[found.code]
    situation = situation_in(item, text, message.get("entities") or [])
    if len(item["situations"]) == 1:
        situation = item["situations"][0]["key"]
    if asked == "materials" and situation is None:
        dispatcher.utter_message(text=replies.numbered(f"【{item['name']}】分以下几种情形，请问您是哪一种？",
                                                       [x["name"] for x in item["situations"]]))
        understood(dispatcher, "clarify", item["code"])
        return {"requested_slot": None, "clarify": "situation", "candidates": [x["key"] for x in item["situations"]],
                "current_item": item["code"], "last_question": "materials"}
    if asked == "materials":
        for part in replies.materials_messages(item, situation_of(item, situation), offer_booking=False):
            dispatcher.utter_message(text=part)
    else:
        dispatcher.utter_message(text=render_answer(item, asked, snap, today))
    understood(dispatcher, "answered", item["code"])
    return {}


def render_answer(item: dict[str, Any], question: str, snap: Snapshot, today: dt.date) -> str:
    """Every question but materials, which needs a situation and may take several messages."""
    if question == "process":
        return replies.process_message(item)
    if question == "time_limit":
        return replies.time_limit_message(item, snap.calendar, today)
    if question == "fee":
        return replies.fee_message(item)
    return replies.location_message(item)


async def _remember_unanswered(tracker: Tracker) -> None:
    """Into the curators' inbox (bot/faq.py): what fell to fallback or was understood only weakly."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    if tracker.sender_id.startswith("try:"):
        return  # a curator trying a sentence, not a citizen
    await faq.record_unanswered(message.get("text") or "", intent.get("name"), intent.get("confidence"))


def _fallbacks_in_a_row(tracker: Tracker) -> int:
    count = 0
    for event in this_session_backwards(tracker):
        if event.get("event") == "user":
            if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
                break
            count += 1
    return count


class HandleFallback(Action):
    """Not understood: ask to rephrase; the second time in a row, offer a human agent."""

    def __init__(self, knowledge: KnowledgeService):
        self.knowledge = knowledge

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher, tracker, domain):
        if picks_an_option(await self.knowledge.snapshot(), tracker):
            return [FollowupAction("action_answer_item_question")]
        await _remember_unanswered(tracker)
        understood(dispatcher, "not_understood")
        if _fallbacks_in_a_row(tracker) >= 2:
            dispatcher.utter_message(text=replies.OFFER_HUMAN)
            dispatcher.utter_message(json_message={"event": "human_offered", "reason": "not_understood"})
            return [SlotSet("offer", "human")]
        dispatcher.utter_message(text=replies.NOT_UNDERSTOOD)
        return slot_changes(tracker, offer=None)


def _hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[dict[str, Any]]:
    dispatcher.utter_message(text=replies.HANDOFF)
    dispatcher.utter_message(json_message={"event": "handoff_requested", "reason": reason})
    return slot_changes(tracker, offer=None)


class RequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher, tracker, domain):
        return _hand_off(dispatcher, tracker, "asked")


def _live_offer(tracker: Tracker) -> str | None:
    """The offer made in the bot's last turn; an older one has lapsed."""
    users_since = 0
    for event in this_session_backwards(tracker):
        if event.get("event") == "user":
            users_since += 1
        elif event.get("event") == "slot" and event.get("name") == "offer":
            return event.get("value") if users_since == 1 else None
    return None


class HandleComplaint(Action):
    """A complaint: sorry, and a person is offered (yes hands the conversation over)."""

    def name(self) -> str:
        return "action_handle_complaint"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=replies.COMPLAINT)
        dispatcher.utter_message(json_message={"event": "human_offered", "reason": "complaint"})
        return [SlotSet("offer", "complaint")]


class SmallTalk(Action):
    """Hello, thanks, goodbye — unless a question of options is open and the message picks one: short
    answers such as "丢了" or "第一次" read like small talk to NLU."""

    def __init__(self, knowledge: KnowledgeService):
        self.knowledge = knowledge

    def name(self) -> str:
        return "action_small_talk"

    async def run(self, dispatcher, tracker, domain):
        if picks_an_option(await self.knowledge.snapshot(), tracker):
            return [FollowupAction("action_answer_item_question")]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(response=f"utter_{intent if intent in ('greet', 'goodbye') else 'thanks'}")
        return []


def picks_an_option(snap: Snapshot, tracker: Tracker) -> bool:
    """Whether the message answers the open "which item / which situation?" question."""
    clarify, candidates = tracker.get_slot("clarify"), tracker.get_slot("candidates") or []
    text = tracker.latest_message.get("text") or ""
    current = tracker.get_slot("current_item")
    if clarify == "situation" and current in snap.items and candidates:
        return choose_situation(snap.items[current], text, candidates=candidates) is not None
    if clarify == "item" and candidates:
        return pick(text, [snap.items[c]["name"] for c in candidates if c in snap.items]) is not None
    return False


OFFER_EXPLAINED = {
    "booking": replies.BOOKING_OPTIONAL,
    "human": "需要的话回复“是”，我马上为您转接人工客服；不需要请回复“不用”。",
    "complaint": "需要的话回复“是”，我为您转接人工客服处理；也可以拨打12345反映。",
}


class HandleYesNo(Action):
    def name(self) -> str:
        return "action_handle_yes_no"

    async def run(self, dispatcher, tracker, domain):
        yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        offer = _live_offer(tracker)
        if offer is None and tracker.get_slot("clarify"):
            # "换发" or "对，第一个" while a question of options is open reads like a yes or a no to NLU;
            # it is an answer to that question.
            return [FollowupAction("action_answer_item_question")]
        if is_question(tracker.latest_message.get("text") or ""):
            # "要预约吗？" asks about the offer; it does not accept it. Explain, and keep the offer open.
            if offer in OFFER_EXPLAINED:
                dispatcher.utter_message(text=OFFER_EXPLAINED[offer])
                return [SlotSet("offer", offer)]
            dispatcher.utter_message(text=replies.NOT_UNDERSTOOD)
            understood(dispatcher, "not_understood")
            return slot_changes(tracker, offer=None)
        if offer in ("human", "complaint"):
            if yes:
                return _hand_off(dispatcher, tracker, "complaint" if offer == "complaint" else "offer_accepted")
            dispatcher.utter_message(text=replies.HUMAN_DECLINED)
        elif offer == "booking":
            if yes:
                return slot_changes(tracker, offer=None) + [FollowupAction("action_start_booking")]
            dispatcher.utter_message(text=replies.DENY_WITHOUT_CONTEXT)
        else:
            dispatcher.utter_message(text=replies.AFFIRM_WITHOUT_CONTEXT if yes else replies.DENY_WITHOUT_CONTEXT)
        return slot_changes(tracker, offer=None)


def all_actions(knowledge: KnowledgeService, clock: Clock) -> list[Action]:
    from bot.booking_dialogue import booking_actions
    from bot.progress_dialogue import progress_actions

    return [AnswerItemQuestion(knowledge, today=lambda: clock.now().date()), SmallTalk(knowledge), HandleFallback(knowledge),
            RequestHuman(),
            HandleComplaint(), HandleYesNo(), *booking_actions(knowledge, clock), *progress_actions(knowledge, clock)]
