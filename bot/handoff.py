"""Hand-off to human agents: the queue, claiming, replies both ways, transfer, closing (by the agent,
by the idle rule), and the rating asked for afterwards (bot.chat_rating reads it). Outside agent hours,
or when nobody claims in time, the citizen leaves a message (bot.handoff_tickets). State lives in the
database; Redis only carries the live announcements."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.chat_rating import RATING_QUESTION, parse_rating
from bot.delivery import Delivered, Delivery, message_view
from bot.handoff_tickets import TicketService
from knowledge.opening_hours import open_periods, parse_periods
from knowledge.service import KnowledgeService
from miniprogram_api.clock import TZ, Clock
from miniprogram_api.errors import Conflict, Forbidden, NotFound
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.handoff import Handoff
from miniprogram_api.models.staff import StaffAccount

log = structlog.get_logger(__name__)

@dataclass(frozen=True)
class HandoffSettings:
    # "09:00-12:00,13:30-17:30" on working days; "24x7" always; empty: the city centre's opening hours
    agent_hours: str = ""
    idle_minutes: float = 30
    claim_minutes: float = 10  # nobody claimed within this: the citizen may leave a message instead
    hall: str = "SMZX"


class HandoffService:
    def __init__(self, delivery: Delivery, knowledge: KnowledgeService, clock: Clock, settings: HandoffSettings,
                 tickets: TicketService, rate=None):
        self.delivery, self.knowledge, self.clock, self.settings = delivery, knowledge, clock, settings
        self.tickets = tickets  # where a message goes when no agent can take the chat
        self.rate = rate  # async (conversation, handoff_id, level, comment) -> None: the 好差评 service

    # -- agent hours -------------------------------------------------------------------------------
    async def within_agent_hours(self, now: datetime) -> bool:
        if self.settings.agent_hours == "24x7":
            return True
        snap = await self.knowledge.snapshot()
        local = now.astimezone(TZ)
        if self.settings.agent_hours:
            periods = parse_periods(self.settings.agent_hours) if snap.calendar.is_workday(local.date()) else []
        else:
            periods = open_periods(snap.halls.get(self.settings.hall) or {}, local.date(), snap.calendar)
        return any(p.holds(local.time()) for p in periods)

    def hours_text(self) -> str:
        return self.settings.agent_hours.replace(",", "、") if self.settings.agent_hours else "市民服务中心办公时间"

    # -- the citizen's side ------------------------------------------------------------------------
    async def position(self, handoff: Handoff) -> int:
        earlier = Q(requested_at__lt=handoff.requested_at) | Q(requested_at=handoff.requested_at, id__lt=handoff.id)
        return await Handoff.filter(earlier, status="waiting").count() + 1

    async def request(self, conversation: Conversation, reason: str) -> list[str]:
        """The bot (or the citizen) asked for a person: queue, or offer to leave a message. Returns the replies."""
        now = self.clock.now()
        if conversation.state in ("waiting", "agent"):
            return ["您已在人工客服队列中，请稍候。"]
        if not await self.within_agent_hours(now):
            await self._set_state(conversation, "leave_message")
            return [f"现在不在人工客服服务时间（{self.hours_text()}）。您可以直接发送留言，工作人员上班后会尽快回复您；"
                    "不需要留言请回复“不用了”。"]
        handoff = await Handoff.create(conversation=conversation, reason=reason, requested_at=now, status="waiting")
        await self._set_state(conversation, "waiting")
        position = await self.position(handoff)
        handoff.told_position = position
        await handoff.save(update_fields=["told_position"])
        await self.delivery.announce({"type": "queue", "handoff_id": handoff.id})
        log.info("handoff_requested", handoff=handoff.id, reason=reason, position=position)
        ahead = "您是下一位" if position == 1 else f"您前面还有{position - 1}位"
        return [f"正在为您转接人工客服，{ahead}，请稍候。排队期间您发的消息客服都能看到。"]

    async def citizen_message(self, conversation: Conversation, text: str, message_id: str | None) -> list[str]:
        """A message while the conversation is not with the bot: to the agents, or left as a ticket."""
        await self.delivery.record(conversation, "citizen", text, message_id=message_id, outcome="person")
        if conversation.state == "leave_message":
            if re.sub(r"\s", "", text) in ("不用了", "算了", "不留言", "不用", "取消"):
                await self._set_state(conversation, "bot")
                return ["好的。还有什么需要帮您查询的吗？"]
            # Left outside agent hours, or in hours after nobody claimed the hand-off in time.
            reason = "unclaimed" if await self.within_agent_hours(self.clock.now()) else "outside_hours"
            ticket = await self.tickets.leave(conversation, text, reason)
            await self._set_state(conversation, "bot")
            return [f"已收到您的留言（工单号 {ticket.id}），工作人员会尽快回复您。"]
        handoff = await self.current(conversation)
        if handoff is not None:
            await self.delivery.announce({"type": "citizen_message", "handoff_id": handoff.id})
        return []  # the agent answers

    async def take_rating(self, conversation: Conversation, text: str) -> list[str] | None:
        """The reply to "please rate": recorded once; anything else goes on to the bot."""
        handoff_id = conversation.rating_handoff_id
        rating = parse_rating(text)
        if rating is None and await self._rating_request_pending(conversation, handoff_id):
            # The official account could not send the question yet: this message's passive reply
            # carries it, so the rating may still be the next message.
            return None
        conversation.rating_handoff_id = None
        await conversation.save(update_fields=["rating_handoff_id"])
        if rating is None or self.rate is None:
            return None
        await self.rate(conversation, handoff_id, rating.level, rating.comment)
        return ["感谢您的评价！" + ("我们会认真改进，工作人员会在5个工作日内联系您。" if rating.level >= 4
                                  else "还有其他问题可以继续问我。")]

    async def _rating_request_pending(self, conversation: Conversation, handoff_id: int | None) -> bool:
        rows = await TranscriptMessage.filter(conversation=conversation, role="system").order_by("-id").limit(5)
        asked = next((m for m in rows if (m.data or {}).get("event") == "rating_requested"
                      and m.data.get("handoff_id") == handoff_id), None)
        return asked is not None and asked.data.get("delivered") is False

    # -- the agents' side --------------------------------------------------------------------------
    async def current(self, conversation: Conversation) -> Handoff | None:
        return await Handoff.filter(conversation=conversation, status__in=("waiting", "active")).order_by("-id").first()

    async def get(self, handoff_id: int) -> Handoff:
        handoff = await Handoff.get_or_none(id=handoff_id).prefetch_related("conversation", "agent")
        if handoff is None:
            raise NotFound("handoff_not_found", "没有找到这个会话")
        return handoff

    async def claim(self, handoff_id: int, agent: StaffAccount) -> Handoff:
        now = self.clock.now()
        # The conditional update is the race guard: of two agents claiming at once, one changes the row.
        won = await Handoff.filter(id=handoff_id, status="waiting").update(status="active", agent_id=agent.id,
                                                                          claimed_at=now, agent_active_at=now)
        handoff = await self.get(handoff_id)
        if not won:
            who = handoff.agent.name if handoff.agent else "其他客服"
            raise Conflict("already_claimed", f"这个会话已由{who}接入" if handoff.status == "active" else "这个会话已不在队列中")
        await self._set_state(handoff.conversation, "agent")
        await self.delivery.to_citizen(handoff.conversation, "agent", f"您好，我是人工客服{agent.name}，请问有什么可以帮您？",
                                       {"agent": agent.name})
        await self.delivery.announce({"type": "claimed", "handoff_id": handoff.id, "agent": agent.name})
        await self._tell_positions()
        log.info("handoff_claimed", handoff=handoff.id, agent=agent.id)
        return handoff

    def _own(self, handoff: Handoff, agent: StaffAccount) -> None:
        if handoff.status != "active":
            raise Conflict("not_active", "这个会话当前不在人工服务中")
        if handoff.agent_id != agent.id and agent.role != "admin":
            raise Forbidden("not_your_conversation", "这个会话由其他客服接待")

    async def reply(self, handoff_id: int, agent: StaffAccount, text: str) -> Delivered:
        handoff = await self.get(handoff_id)
        self._own(handoff, agent)
        handoff.agent_active_at = self.clock.now()
        await handoff.save(update_fields=["agent_active_at"])
        return await self.delivery.to_citizen(handoff.conversation, "agent", text, {"agent": agent.name})

    async def transfer(self, handoff_id: int, agent: StaffAccount, to_id: int) -> Handoff:
        handoff = await self.get(handoff_id)
        self._own(handoff, agent)
        target = await StaffAccount.get_or_none(id=to_id, active=True)
        if target is None or target.role not in ("agent", "admin"):
            raise NotFound("agent_not_found", "没有这位客服")
        handoff.agent_id, handoff.agent_active_at = target.id, self.clock.now()
        await handoff.save(update_fields=["agent_id", "agent_active_at"])
        await self.delivery.to_citizen(handoff.conversation, "agent", f"已为您转接给客服{target.name}，请稍候。")
        await self.delivery.announce({"type": "transferred", "handoff_id": handoff.id, "agent": target.name})
        return handoff

    async def close(self, handoff_id: int, reason: str, agent: StaffAccount | None = None) -> Handoff:
        handoff = await self.get(handoff_id)
        if agent is not None:
            self._own(handoff, agent)
        async with in_transaction():
            closed = await Handoff.filter(id=handoff.id, status="active").update(
                status="closed", closed_at=self.clock.now(), closed_reason=reason)
        if not closed:
            raise Conflict("not_active", "这个会话当前不在人工服务中")
        conversation = handoff.conversation
        conversation.state, conversation.rating_handoff_id = "bot", handoff.id
        await conversation.save(update_fields=["state", "rating_handoff_id"])
        ending = ("由于长时间没有新消息，本次人工服务已自动结束。" if reason == "idle" else "本次人工服务已结束，感谢您的耐心。")
        await self.delivery.to_citizen(conversation, "system",
                                       ending + RATING_QUESTION,
                                       {"event": "rating_requested", "handoff_id": handoff.id})
        await self.delivery.announce({"type": "closed", "handoff_id": handoff.id, "reason": reason})
        log.info("handoff_closed", handoff=handoff.id, reason=reason)
        return handoff

    async def sweep(self) -> dict[str, int]:
        """Periodic: idle conversations closed, unclaimed ones offered a message, positions told."""
        now = self.clock.now()
        idle = await Handoff.filter(status="active", agent_active_at__lt=now - timedelta(minutes=self.settings.idle_minutes))
        for handoff in idle:
            await self.close(handoff.id, "idle")
        expired = await Handoff.filter(status="waiting", requested_at__lt=now - timedelta(minutes=self.settings.claim_minutes))
        for handoff in expired:
            if await Handoff.filter(id=handoff.id, status="waiting").update(status="expired", closed_at=now,
                                                                            closed_reason="unclaimed"):
                conversation = await Conversation.get(id=handoff.conversation_id)
                await self._set_state(conversation, "leave_message")
                await self.delivery.to_citizen(conversation, "system", "抱歉，客服暂时都在忙。您可以直接发送留言，"
                                               "工作人员会尽快回复您；不需要留言请回复“不用了”。")
        if expired:
            await self.delivery.announce({"type": "queue"})
            await self._tell_positions()
        return {"idle_closed": len(idle), "expired": len(expired)}

    async def _tell_positions(self) -> None:
        # Told again only when it changed meaningfully: near the front, or moved by three or more.
        for handoff in await Handoff.filter(status="waiting").order_by("requested_at", "id").prefetch_related("conversation"):
            position = await self.position(handoff)
            told = handoff.told_position or position
            if position < told and (position <= 3 or told - position >= 3):
                handoff.told_position = position
                await handoff.save(update_fields=["told_position"])
                await self.delivery.to_citizen(handoff.conversation, "system",
                                               "马上为您服务，您是下一位。" if position == 1 else f"您前面还有{position - 1}位，请稍候。")

    async def _set_state(self, conversation: Conversation, state: str) -> None:
        conversation.state = state
        await conversation.save(update_fields=["state", "updated_at"])

    # -- views -------------------------------------------------------------------------------------
    async def queue(self) -> dict[str, list[dict[str, Any]]]:
        now = self.clock.now()
        rows = await Handoff.filter(status__in=("waiting", "active")).order_by("requested_at", "id").prefetch_related(
            "conversation", "agent")
        views = []
        for h in rows:
            last = await TranscriptMessage.filter(conversation_id=h.conversation_id, role="citizen").order_by("-id").first()
            views.append({"id": h.id, "status": h.status, "channel": h.conversation.channel, "reason": h.reason,
                          "agent": h.agent.name if h.agent else None, "agent_id": h.agent_id,
                          "waiting_seconds": int((now - h.requested_at).total_seconds()),
                          "last_message": last.text if last else ""})
        return {"waiting": [v for v in views if v["status"] == "waiting"],
                "active": [v for v in views if v["status"] == "active"]}

    async def transcript(self, handoff: Handoff) -> dict[str, Any]:
        """`handoff` as `get` returns it (its conversation and agent fetched)."""
        rows = await TranscriptMessage.filter(conversation_id=handoff.conversation_id).order_by("id")
        return {"id": handoff.id, "status": handoff.status, "channel": handoff.conversation.channel,
                "agent": handoff.agent.name if handoff.agent else None, "reason": handoff.reason,
                "messages": [message_view(m) for m in rows[-200:]]}

    async def join(self, conversation: Conversation, agent: StaffAccount) -> Handoff:
        """An agent takes a conversation the bot is having, without a request from the citizen."""
        if conversation.state in ("waiting", "agent"):
            raise Conflict("already_handed_off", "这个对话已在人工服务或排队中")
        now = self.clock.now()
        handoff = await Handoff.create(conversation=conversation, reason="agent_joined", status="active", agent=agent,
                                       requested_at=now, claimed_at=now, agent_active_at=now)
        await self._set_state(conversation, "agent")
        await self.delivery.to_citizen(conversation, "agent", f"您好，我是人工客服{agent.name}，看到您的咨询，由我来为您服务。")
        await self.delivery.announce({"type": "claimed", "handoff_id": handoff.id, "agent": agent.name})
        return handoff
