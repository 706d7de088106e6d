"""Custom actions (rasa-sdk), hosted in the app so they call the same services as the API."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import complaint_text, replies
from bot.choices import pick
from bot.dialogue import ASIDE_CONFIDENCE, inbox_note, is_question, slot_changes, this_session_backwards, understood
from bot.grounding import about
from bot.understanding import (
    DETAIL_QUESTIONS,
    choose_situation,
    faq_key,
    is_an_item_name_alone,
    items_named,
    question_asked,
    says_nothing,
    situation_in,
    unstated_topic,
)
from knowledge.normalize import normalize
from knowledge.service import KnowledgeService, Snapshot, bundle_view
from miniprogram_api.clock import Clock
from miniprogram_api.models.conversation import Conversation
from miniprogram_api.services.catalogue import chosen_situation
from miniprogram_api.services.citizens import citizen_for_channel
from miniprogram_api.services.ratings import complain

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
            inbox_note(dispatcher, "low_confidence")  # a stronger reason later in the turn replaces it
        text = message.get("text") or ""
        entities = message.get("entities") or []
        asked = question_asked(text)
        question = (asked if asked in DETAIL_QUESTIONS else None) or QUESTION_OF_INTENT.get(intent) or asked \
            or tracker.get_slot("last_question") or "materials"
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
            question = asked or tracker.get_slot("last_question") or question

        if code is None:
            found = about(snap, entities, text)
            if found.kind == "bundle":
                return self._bundle(dispatcher, tracker, snap, found.code, question)
            if found.kind == "ambiguous":
                options = [snap.items[c]["name"] for c in found.candidates]
                dispatcher.utter_message(text=replies.numbered("您问的是以下哪一项？", options))
                understood(dispatcher, "clarify")
                return slot_changes(tracker, clarify="item", candidates=found.candidates, last_question=question)
            if found.kind == "not_covered":
                return not_covered(dispatcher, tracker, found.phrase)
            if found.kind == "near_miss":
                dispatcher.utter_message(text=replies.NEAR_MISS.format(phrase=found.phrase, name=snap.items[found.code]["name"]))
                understood(dispatcher, "clarify", inbox="near_miss")
                return _reset_choice(tracker, offer="near_miss", near_miss=[found.code, found.phrase], last_question=question)
            code = found.code
            if code is None:
                if intent == "choose" and clarify:
                    dispatcher.utter_message(text=replies.CHOICE_NOT_UNDERSTOOD)
                    understood(dispatcher, "not_understood")
                    return []
                if says_nothing(text):  # "啥啊" after an answer asks no follow-up about its item
                    return not_understood(dispatcher, tracker)
                if tracker.get_slot("current_item") in snap.bundles:  # a follow-up on a 一件事
                    return self._bundle(dispatcher, tracker, snap, tracker.get_slot("current_item"), question)
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

    def _bundle(self, dispatcher, tracker: Tracker, snap: Snapshot, code: str, question: str) -> list[dict[str, Any]]:
        view = bundle_view(snap, code)
        items = [snap.items[x["code"]] for x in view["items"]]
        for text in replies.bundle_answer(view, items, question):
            dispatcher.utter_message(text=text)
        understood(dispatcher, "answered", code)
        return _reset_choice(tracker, current_item=code, current_situation=None, last_question=question, offer=None)

    def _answer(self, dispatcher, tracker: Tracker, snap: Snapshot, item: dict, question: str,
                situation: str | None) -> list[dict[str, Any]]:
        situations = item["situations"]
        # A remembered situation of another item counts as no choice.
        chosen = chosen_situation(item, situation if situation in {s["key"] for s in situations} else None)
        if question == "situations":
            question = "materials"  # "which situation am I?" is answered by the choice and its materials
            chosen = None if len(situations) > 1 else chosen
        situation = chosen and chosen["key"]
        if question == "materials" and chosen is None:
            dispatcher.utter_message(text=replies.situations_message(item))
            understood(dispatcher, "clarify", item["code"])
            return slot_changes(tracker, clarify="situation", candidates=[s["key"] for s in situations],
                                current_item=item["code"], last_question=question)
        offer = None
        if question == "materials":
            for text in replies.materials_messages(item, chosen):
                dispatcher.utter_message(text=text)
            offer = "booking"
        else:
            dispatcher.utter_message(text=render_answer(item, question, snap, self.today(), tracker.latest_message.get("text") or ""))
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
    if intent.get("name") not in (*QUESTION_OF_INTENT, "ask_detail") or (intent.get("confidence") or 0) < ASIDE_CONFIDENCE \
            or not asked:
        return None
    found = about(snap, message.get("entities") or [], text)
    if found.kind != "item":
        return None
    item = snap.items[found.code]
    chosen = chosen_situation(item, situation_in(item, text, message.get("entities") or []))
    if asked == "materials" and chosen is None:
        dispatcher.utter_message(text=replies.situations_message(item))
        understood(dispatcher, "clarify", item["code"])
        return {"requested_slot": None, "clarify": "situation", "candidates": [x["key"] for x in item["situations"]],
                "current_item": item["code"], "last_question": "materials"}
    if asked == "materials":
        for part in replies.materials_messages(item, chosen, offer_booking=False):
            dispatcher.utter_message(text=part)
    else:
        dispatcher.utter_message(text=render_answer(item, asked, snap, today, text))
    understood(dispatcher, "answered", item["code"])
    return {}


def render_answer(item: dict[str, Any], question: str, snap: Snapshot, today: dt.date, text: str = "") -> str:
    """Every question but materials, which needs a situation and may take several messages. What the
    guide has no field for is said so — never answered from a neighbouring field."""
    if question == "online":
        return replies.online_message(item)
    if question == "visits":
        return replies.visits_message(item)
    if question == "rongque":
        return replies.rongque_message(item)
    if question == "situations":
        return replies.situations_message(item)
    if question == "proxy":
        return replies.proxy_message(item) or replies.unstated_message(item, "能否代办")
    if question == "conditions":
        return replies.conditions_message(item) or replies.unstated_message(item, "申请条件")
    if question == "unstated":
        return replies.unstated_message(item, unstated_topic(text))
    if question == "process":
        return replies.process_message(item)
    if question == "time_limit":
        return replies.time_limit_message(item, snap.calendar, today)
    if question == "fee":
        return replies.fee_message(item)
    return replies.location_message(item)


def not_covered(dispatcher: CollectingDispatcher, tracker: Tracker, phrase: str) -> list[dict[str, Any]]:
    """Nothing in the guide for what the citizen named: said so in their words; a yes brings a person."""
    dispatcher.utter_message(text=replies.NOT_COVERED.format(phrase=phrase))
    understood(dispatcher, "not_covered", inbox="not_covered")
    return _reset_choice(tracker, offer="human", near_miss=None)


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
        snap = await self.knowledge.snapshot()
        if picks_an_option(snap, tracker) or is_an_item_name_alone(snap, tracker.latest_message.get("text") or ""):
            return [FollowupAction("action_answer_item_question")]
        return not_understood(dispatcher, tracker)


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Ask to rephrase; after two misses in a row, offer a person instead."""
    understood(dispatcher, "not_understood", inbox="fallback")
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
    """A complaint, a plea for help or a suggestion (投诉、求助、建言): registered as a complaint ticket
    through the complaint service, with its number and the day an answer is due; a person stays an
    option. "我要投诉" alone is asked what happened first."""

    def __init__(self, knowledge: KnowledgeService, clock: Clock):
        self.knowledge, self.clock = knowledge, clock

    def name(self) -> str:
        return "action_handle_complaint"

    async def run(self, dispatcher, tracker, domain):
        text = (tracker.latest_message.get("text") or "").strip()
        snap = await self.knowledge.snapshot()
        if _asks_about_a_service(snap, text, tracker.latest_message.get("entities") or []):
            return [FollowupAction("action_answer_item_question")]
        if is_question(text) and not complaint_text.wishes_to_complain(text) \
                and len(normalize(text)) < complaint_text.MIN_STORY:
            # "要预约吗？" is no complaint, whatever NLU made of it: an offer's question, or not understood.
            return [FollowupAction("action_handle_yes_no" if _live_offer(tracker) else "action_handle_fallback")]
        channel, _, user_id = tracker.sender_id.partition(":")
        citizen = None if channel == "try" else await citizen_for_channel(channel, user_id)
        if citizen is None or not complaint_text.says_what_happened(text):
            dispatcher.utter_message(text=replies.COMPLAINT)
            understood(dispatcher, "clarify")
            return [SlotSet("offer", "complaint")]
        conversation = await Conversation.get_or_none(channel=channel, user_id=user_id)
        hall, window = complaint_text.where_in_text(snap, text)
        filed = await complain(snap, citizen, complaint_text.category_of(text), text, hall, window, self.clock.now(),
                               conversation)
        dispatcher.utter_message(text=replies.complaint_filed(filed.ticket, filed.due_date,
                                                              complaint_text.is_suggestion(text)))
        dispatcher.utter_message(json_message={"event": "complaint_filed", "ticket": filed.ticket})
        understood(dispatcher, "answered")
        return [SlotSet("offer", "complaint")]


# Questions an item's own fields answer better than the FAQ's general word on them; "在哪里办" (where to do
# it, not where the hall is) too.
ITEM_FIELD_QUESTIONS = ("proxy", "online", "visits", "rongque", "conditions")
_DOING_IT = re.compile(r"(在|去)?哪(里|儿)?(能|可以)?(办|领|交|申请|补)")


class AnswerFaq(Action):
    """An FAQ answer from the response selector — unless it is a 一次性告知 question about an item the
    sentence names, or the item just talked about ("无犯罪记录证明可以让别人代办吗", "材料不全能先受理吗"
    after a 居住证 answer): that item's own field answers it."""

    def __init__(self, knowledge: KnowledgeService):
        self.knowledge = knowledge

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher, tracker, domain):
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        asked = question_asked(text)
        if asked in ITEM_FIELD_QUESTIONS or (asked == "location" and _DOING_IT.search(text)):
            snap = await self.knowledge.snapshot()
            found = about(snap, message.get("entities") or [], text)
            if found.kind == "item" or (found.kind == "none" and tracker.get_slot("current_item") in snap.items):
                return [FollowupAction("action_answer_item_question")]
        key = faq_key(message)
        dispatcher.utter_message(response=f"utter_{key}" if key else "utter_faq")
        return []


SHORT_QUESTION = 30  # characters: complaints are longer, or are not asked as a question about a service


def _asks_about_a_service(snap: Snapshot, text: str, entities: list[dict[str, Any]]) -> bool:
    """"想办小额继承公证，怎么弄" can read like a grievance to NLU; it is a question about a service
    (one the guide may not hold), and is answered as one rather than filed as a complaint."""
    if len(normalize(text)) > SHORT_QUESTION or question_asked(text) is None:  # "多久能办好" asks without a 吗
        return False
    return about(snap, entities, text).kind != "none"


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
        if offer == "near_miss":
            code, phrase = (tracker.get_slot("near_miss") or [None, ""])[:2]
            if yes and code:
                return [SlotSet("offer", None), SlotSet("near_miss", None), SlotSet("current_item", code),
                        SlotSet("current_situation", None), FollowupAction("action_answer_item_question")]
            dispatcher.utter_message(text=replies.NEAR_MISS_DECLINED.format(phrase=phrase))
            understood(dispatcher, "not_covered")
            return slot_changes(tracker, offer=None, near_miss=None)
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
