"""What the multi-turn dialogues (booking, cancelling, progress) share: who the citizen is, reading
yes / no / "stop", and the numbered options a question offered."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot.understanding import faq_key
from knowledge.normalize import normalize
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.services.citizens import citizen_for_channel

_STOP = ("不约了", "不预约了", "算了", "退出", "不办了", "不用了", "不要了", "不查了", "先不", "以后再说", "不弄了")
_YES = ("确认", "确定", "是的", "是", "对", "好的", "好", "可以", "行", "嗯", "没问题", "ok", "yes")
_NO = ("不", "否", "别", "no", "不是", "不对", "不行")
ASIDE_CONFIDENCE = 0.8  # how sure the bot must be that a reply it cannot use was an FAQ question
# …and the reply must read as a question: a bare "火星大厅" is a wrong choice of hall, not a question
# about the halls' addresses.
_QUESTION = re.compile(r"[吗呢么？?]|什么|怎么|几|哪|多少|是否|能不能|可不可以|有没有|要不要")


def intent_of(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def wants_to_stop(tracker: Tracker) -> bool:
    text = normalize(tracker.latest_message.get("text") or "")
    return any(w in text for w in _STOP) or intent_of(tracker) in ("goodbye", "request_human")


def yes_or_no(tracker: Tracker) -> bool | None:
    text = normalize(tracker.latest_message.get("text") or "")
    intent = intent_of(tracker)
    if any(text.startswith(w) for w in _NO) or intent == "deny":
        return False
    if intent == "affirm" or any(text.startswith(w) for w in _YES):
        return True
    return None


def channel_and_user(tracker: Tracker) -> tuple[str, str]:
    channel, _, user = tracker.sender_id.partition(":")
    return channel, user


async def citizen_of(tracker: Tracker) -> Citizen | None:
    return await citizen_for_channel(*channel_and_user(tracker))


def clear(tracker: Tracker, *names: str) -> list[dict[str, Any]]:
    """Empties the slots that hold something (a None SlotSet would make the form validate nothing)."""
    return slot_changes(tracker, **{n: None for n in names})


def understood(dispatcher, outcome: str, item: str | None = None) -> None:
    """Notes for the statistics what became of the citizen's message and which item it was about
    (bot.models.OUTCOMES); the conversation service takes the note out before any channel sees it."""
    dispatcher.utter_message(json_message={"event": "understood", "outcome": outcome, "item": item})


def misunderstood(dispatcher, tracker: Tracker, reply: str) -> None:
    """A form could not use the citizen's reply. When the reply was clearly an FAQ question ("几点下班"
    while choosing a time), answer that question; the form then asks its own again. Otherwise `reply`
    says what the form expects."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    key = faq_key(message)
    if intent.get("name") == "faq" and (intent.get("confidence") or 0) >= ASIDE_CONFIDENCE and key \
            and _QUESTION.search(message.get("text") or ""):
        dispatcher.utter_message(response=f"utter_{key}")
    else:
        dispatcher.utter_message(text=reply)
        understood(dispatcher, "not_understood")


def stop_form(slot: str, reply: str, dispatcher, tracker: Tracker) -> dict[str, Any]:
    """From a validator: end the form now (requested_slot None); the submit action sees nothing confirmed.
    Asking for a person in the middle of a form ends it and hands the conversation over."""
    if intent_of(tracker) == "request_human":
        from bot import replies

        dispatcher.utter_message(text=replies.HANDOFF)
        dispatcher.utter_message(json_message={"event": "handoff_requested", "reason": "asked"})
    else:
        dispatcher.utter_message(text=reply)
    return {slot: None, "requested_slot": None}


def slot_changes(tracker: Tracker, **values: Any) -> list[dict[str, Any]]:
    """SlotSet events only for slots whose value changes. Rasa re-reads every event of a conversation
    on each message, so events that change nothing make every later turn slower. An offer that is
    made again is always set: a yes/no answers the offer of the bot's last turn only."""
    return [SlotSet(k, v) for k, v in values.items()
            if tracker.get_slot(k) != v or (k == "offer" and v is not None)]
