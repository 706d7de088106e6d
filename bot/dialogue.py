"""What the multi-turn dialogues (booking, cancelling, progress) share: who the citizen is, reading
yes / no / "stop", and the numbered options a question offered."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot import replies
from bot.understanding import faq_key
from knowledge.normalize import normalize
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.services.citizens import citizen_for_channel

_STOP = ("不约了", "不预约了", "算了", "退出", "不办了", "不用了", "不要了", "不查了", "先不", "以后再说", "不弄了")
_YES = ("确认", "确定", "是的", "是", "对", "好的", "好", "可以", "行", "嗯", "没问题", "ok", "yes")
_NO = ("不", "否", "别", "no", "不是", "不对", "不行")
STUCK = "也可以回复“算了”退出，或回复“人工”转人工客服。"
_COURTESY = {"thanks": "不客气。", "greet": "您好！"}
ASIDE_CONFIDENCE = 0.8  # how sure the bot must be that a reply it cannot use was an FAQ question
# …and the reply must read as a question: a bare "火星大厅" is a wrong choice of hall, not a question
# about the halls' addresses.
_QUESTION = re.compile(r"[吗呢么？?]|什么|怎么|几|哪|多少|是否|能不能|可不可以|有没有|要不要")


def intent_of(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def wants_to_stop(tracker: Tracker) -> bool:
    text = normalize(tracker.latest_message.get("text") or "")
    return any(w in text for w in _STOP) or intent_of(tracker) in ("goodbye", "request_human")


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text or ""))


def yes_or_no(tracker: Tracker) -> bool | None:
    """A yes or a no; a question ("要预约吗？", "可以吗") is neither."""
    raw = tracker.latest_message.get("text") or ""
    if is_question(raw):
        return None
    text = normalize(raw)
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


def understood(dispatcher, outcome: str, item: str | None = None, inbox: str | None = None) -> None:
    """Notes for the statistics what became of the citizen's message and which item it was about
    (miniprogram_api.models.conversation.OUTCOMES), and with `inbox` why the curators should see it
    (bot/faq.py); the conversation service takes the note out before any channel sees it."""
    note = {"event": "understood", "outcome": outcome, "item": item}
    if inbox:
        note["inbox"] = inbox
    dispatcher.utter_message(json_message=note)


def inbox_note(dispatcher, reason: str) -> None:
    """Only why the curators should see the message (their inbox is filled by the conversation service
    from these notes, so a curator's "try a sentence" never lands there)."""
    dispatcher.utter_message(json_message={"event": "understood", "inbox": reason})


def this_session_backwards(tracker: Tracker):
    """The tracker's events, newest first, back to the start of the current session or the last restart
    (Rasa's tracker store here hands actions the whole history, earlier sessions included)."""
    for event in reversed(tracker.events):
        if event.get("event") in ("session_started", "restart"):
            return
        yield event


def misses_in_a_row(tracker: Tracker) -> int:
    """How many of the citizen's messages right before this one the bot did not understand."""
    count, missed, current_seen = 0, False, False
    for event in this_session_backwards(tracker):
        kind = event.get("event")
        if kind == "user":
            if current_seen:
                if not missed:
                    break
                count += 1
            current_seen, missed = True, False
        elif kind == "bot" and current_seen and \
                ((event.get("data") or {}).get("custom") or {}).get("outcome") == "not_understood":
            missed = True
    return count


def misunderstood(dispatcher, tracker: Tracker, reply: str) -> None:
    """A form could not use the citizen's reply. When the reply was clearly an FAQ question ("几点下班"
    while choosing a time), answer that question; a thank-you gets a word back; either way the form then
    asks its own question again. Otherwise `reply` says what the form expects, and the second miss in a
    row also says how to leave or reach a person."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    text = message.get("text") or ""
    key = faq_key(message)
    confident = (intent.get("confidence") or 0) >= ASIDE_CONFIDENCE
    if intent.get("name") == "faq" and confident and key and _QUESTION.search(text):
        dispatcher.utter_message(response=f"utter_{key}")
    elif intent.get("name") in _COURTESY and confident and len(normalize(text)) <= 8:
        dispatcher.utter_message(text=_COURTESY[intent["name"]])
    elif misses_in_a_row(tracker) >= 1:
        dispatcher.utter_message(text=f"{reply}\n{STUCK}")
        understood(dispatcher, "not_understood")
    else:
        dispatcher.utter_message(text=reply)
        understood(dispatcher, "not_understood")


def stop_form(slot: str, reply: str, dispatcher, tracker: Tracker) -> dict[str, Any]:
    """From a validator: end the form now (requested_slot None); the submit action sees nothing confirmed.
    Asking for a person in the middle of a form ends it and hands the conversation over."""
    if intent_of(tracker) == "request_human":
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
