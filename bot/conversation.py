"""The one conversation service every channel goes through (DESIGN.md, "The conversation path"):
duplicates dropped, one message at a time per user, Rasa answers, every turn stored."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
import structlog

from bot import faq, replies
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.turn_lock import TurnLocks
from bot.understanding import question_asked
from miniprogram_api.errors import NotFound
from miniprogram_api.models.conversation import OUTCOMES, Conversation, TranscriptMessage

if TYPE_CHECKING:
    from bot.handoff import HandoffService

log = structlog.get_logger(__name__)

HANDOFF_REPLY = replies.HANDOFF
UNAVAILABLE_REPLY = "抱歉，系统正忙，暂时无法回答。请稍后再试，或拨打12345政务服务便民热线咨询。"
UNDERSTOOD = "understood"  # the actions' note of what became of a message (bot/dialogue.py `understood`)
TURN_CACHE_SECONDS = 120  # WeChat retries a message for about 15 s; keep the answer well past that


@dataclass
class Turn:
    replies: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)  # custom payloads: handoff requested, human offered …
    duplicate: bool = False
    after_id: int = 0  # the turn's own transcript rows are those after `after_id` up to `last_id`
    last_id: int = 0
    # What became of the citizen's message (miniprogram_api.models.conversation OUTCOMES) and the item it was about, for the
    # statistics; the actions say so with an "understood" payload that is not passed on to channels.
    outcome: str | None = None
    item_code: str | None = None
    intent: str | None = None  # what NLU made of the message, when an action was called
    confidence: float | None = None
    inbox: str | None = None  # why the curators should see this message (bot/faq.py), if they should
    # The conversation as the turn left it (the channel's reply says whether a person now has it).
    conversation_id: int = 0
    state: str = "bot"
    # The turn's transcript rows, when the service wrote them all (a message to the bot); otherwise, and
    # for a repeated message, the channel reads them back (`turn_rows`).
    rows: list[TranscriptMessage] = field(default_factory=list, repr=False)

    def to_json(self) -> str:
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self) if f.name != "rows"}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Turn:
        data = json.loads(raw)
        return cls(replies=data["replies"], events=data["events"], duplicate=True, after_id=data.get("after_id", 0),
                   last_id=data.get("last_id", 0), conversation_id=data.get("conversation_id", 0),
                   state=data.get("state", "bot"))


def sender_id(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


async def conversation_of(channel: str, user_id: str) -> Conversation:
    # get_or_create is a transaction of three round trips; the conversation nearly always exists.
    conversation = await Conversation.get_or_none(channel=channel, user_id=user_id)
    return conversation or (await Conversation.get_or_create(channel=channel, user_id=user_id))[0]


async def conversation_exists(channel: str, user_id: str) -> bool:
    return await Conversation.exists(channel=channel, user_id=user_id)


async def conversation_or_raise(conversation_id: int) -> Conversation:
    conversation = await Conversation.get_or_none(id=conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", "没有找到这个对话")
    return conversation


async def with_the_bot(limit: int) -> list[Conversation]:
    """The conversations the bot is having, the latest first (an agent may join one)."""
    return await Conversation.filter(state="bot").order_by("-updated_at").limit(limit)


async def turn_rows(turn: Turn) -> list[TranscriptMessage]:
    """The transcript rows of one turn: the citizen's message and what answered it."""
    return await TranscriptMessage.filter(conversation_id=turn.conversation_id, id__gt=turn.after_id,
                                          id__lte=turn.last_id).order_by("id")


def turn_from_rasa(messages: list[dict[str, Any]]) -> Turn:
    replies, events, understood = [], [], {}
    for m in messages:
        if m.get("text"):
            replies.append(m["text"])
        custom = m.get("custom")
        if isinstance(custom, dict) and custom.get("event") == UNDERSTOOD:
            understood.update({k: v for k, v in custom.items() if v is not None or k not in understood})
        elif isinstance(custom, dict) and custom.get("event"):
            events.append(custom)
    outcome = understood.get("outcome") if understood.get("outcome") in OUTCOMES else "answered"
    item, intent, confidence = understood.get("item"), understood.get("intent"), understood.get("confidence")
    inbox = understood.get("inbox") or ("out_of_scope" if outcome == "out_of_scope" else None)
    return Turn(replies, events, outcome=outcome, item_code=item if isinstance(item, str) else None,
                intent=intent if isinstance(intent, str) else None,
                confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
                inbox=inbox if isinstance(inbox, str) else None)


# The next message asks the same question again, about the same item or in much the same words: the answer missed.
REPHRASED_OVERLAP = 0.5


async def _to_inbox(text: str, turn: Turn, previous: TranscriptMessage | None) -> None:
    """The curators' inbox learns from risky answers, not only from fallbacks: what the guide lacks and
    what is out of scope (this message), and an answer the citizen asked again or left for a person
    right after (the message that got that answer)."""
    if turn.inbox:
        await faq.record_unanswered(text, turn.intent, turn.confidence, turn.inbox)
    if previous is None or previous.outcome != "answered":
        return
    if turn.outcome == "handoff":
        await faq.record_unanswered(previous.text, previous.intent, None, "handoff_after_answer")
    elif turn.outcome in ("answered", "clarify") and question_asked(text) == question_asked(previous.text) and (
            (turn.item_code and turn.item_code == previous.item_code) or faq.overlap(text, previous.text) >= REPHRASED_OVERLAP):
        await faq.record_unanswered(previous.text, previous.intent, None, "rephrased")


class ConversationService:
    """With `handoff`, conversations handed to a person bypass Rasa (DESIGN.md step 3); without it
    (a bare bot, as in some tests) the hand-off stays an event in the turn for the caller."""

    def __init__(self, rasa: RasaClient, redis: aioredis.Redis, handoff: HandoffService | None = None,
                 lock_seconds: float = 60.0):
        self.rasa = rasa
        self.redis = redis
        self.handoff = handoff
        self.locks = TurnLocks(redis, hold_seconds=lock_seconds)

    async def handle(self, channel: str, user_id: str, text: str, message_id: str | None = None,
                     budget: float | None = None) -> Turn:
        sender = sender_id(channel, user_id)
        cache_key = f"govhall:turn:{sender}:{message_id}" if message_id else None
        if cache_key and (cached := await self.redis.get(cache_key)):
            return Turn.from_json(cached)
        async with self.locks.turn(sender):
            # A retry that waited for the first delivery to finish gets that delivery's answer.
            if cache_key and (cached := await self.redis.get(cache_key)):
                return Turn.from_json(cached)
            conversation = await conversation_of(channel, user_id)
            turn = await self._answer(conversation, sender, text, message_id, budget)
            for reply in turn.replies:
                written = await TranscriptMessage.create(conversation=conversation, role="bot", text=reply,
                                                         data={"events": turn.events} if turn.events else {})
                turn.last_id = written.id
                if turn.rows:
                    turn.rows.append(written)
            await conversation.save(update_fields=["updated_at"])
            if not turn.last_id:  # no reply (a message for the agents): the citizen's row, written by the hand-off
                newest = await TranscriptMessage.filter(conversation=conversation).order_by("-id").first()
                turn.last_id = newest.id if newest else turn.after_id
            turn.conversation_id, turn.state = conversation.id, conversation.state
            if cache_key:
                await self.redis.set(cache_key, turn.to_json(), ex=TURN_CACHE_SECONDS)
            log.info("turn", channel=channel, replies=len(turn.replies), events=[e["event"] for e in turn.events])
            return turn

    async def _answer(self, conversation: Conversation, sender: str, text: str, message_id: str | None,
                      budget: float | None) -> Turn:
        if self.handoff is not None and conversation.state != "bot":
            last = await TranscriptMessage.filter(conversation=conversation).order_by("-id").first()
            return Turn(await self.handoff.citizen_message(conversation, text, message_id), [{"event": "to_agent"}],
                        after_id=last.id if last else 0)
        # A worker that died during this message's turn leaves its row (the citizen's latest: the turn
        # lock lets nothing in between) and, unless it got that far, no cached turn; the retry (on
        # another worker) answers under the same row.
        latest = await TranscriptMessage.filter(conversation=conversation, role="citizen").order_by("-id").limit(2)
        row = latest[0] if message_id and latest and latest[0].message_id == message_id else None
        previous = (latest[1] if len(latest) > 1 else None) if row else (latest[0] if latest else None)
        if row is None:
            row = await TranscriptMessage.create(conversation=conversation, role="citizen", text=text, message_id=message_id)
        turn = await self._bot_answer(conversation, sender, text, budget)
        row.outcome, row.item_code, row.intent = turn.outcome, turn.item_code, turn.intent
        row.data = {"confidence": round(turn.confidence, 4)} if turn.confidence is not None else {}
        await row.save(update_fields=["outcome", "item_code", "intent", "data"])
        # The turn's rows begin with the citizen's (what answers it follows, in handle).
        turn.after_id, turn.last_id, turn.rows = row.id - 1, row.id, [row]
        await _to_inbox(text, turn, previous)
        return turn

    async def _bot_answer(self, conversation: Conversation, sender: str, text: str, budget: float | None) -> Turn:
        if self.handoff is not None and conversation.rating_handoff_id:
            thanks = await self.handoff.take_rating(conversation, text)
            if thanks is not None:
                return Turn(thanks, [{"event": "rated"}], outcome="rating")
        try:
            turn = turn_from_rasa(await self.rasa.send(sender, text, {"channel": conversation.channel}, budget=budget))
        except RasaUnavailable as exc:
            log.error("rasa_unavailable", channel=conversation.channel, error=str(exc))
            return Turn([UNAVAILABLE_REPLY], [{"event": "rasa_unavailable"}], outcome="unavailable")
        requested = next((e for e in turn.events if e["event"] == "handoff_requested"), None)
        if self.handoff is not None and requested:
            # The bot's tracker starts afresh: after the agent, no half-finished form resumes.
            try:
                await self.rasa.reset(sender)
            except RasaUnavailable as exc:  # the hand-off matters more than a clean tracker afterwards
                log.warning("rasa_reset_failed", error=str(exc))
            turn.replies = [r for r in turn.replies if r != HANDOFF_REPLY] + await self.handoff.request(
                conversation, requested.get("reason", "asked"))
            turn.outcome = "handoff"
        return turn
