"""Leave-a-message tickets (留言工单): left when no agent can take the chat, answered by staff later into
the same chat — or, when that cannot be delivered, kept open with the citizen's contact for a call-back."""
from __future__ import annotations

import re
from typing import Any

from bot.delivery import Delivered, Delivery, reason_text
from miniprogram_api.clock import Clock
from miniprogram_api.errors import Conflict, NotFound
from miniprogram_api.logging import mask_phone
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.handoff import Ticket
from miniprogram_api.models.staff import StaffAccount
from miniprogram_api.services.citizens import citizen_of_conversation


def without_greeting(text: str) -> str:
    """Staff often start with a greeting the composed answer already has: "您好，关于您的留言……"."""
    rest = re.sub(r"^[\s，,。.!！~～、:：]*(?:您好|你好)[\s，,。.!！~～、:：]*", "", text)
    return rest or text


class TicketService:
    def __init__(self, delivery: Delivery, clock: Clock):
        self.delivery, self.clock = delivery, clock

    async def leave(self, conversation: Conversation, text: str, reason: str) -> Ticket:
        """`reason`: outside_hours, or unclaimed (in hours, nobody claimed the hand-off in time)."""
        ticket = await Ticket.create(conversation=conversation, text=text, reason=reason)
        await self.delivery.announce({"type": "ticket", "ticket_id": ticket.id})
        return ticket

    async def list(self, status: str | None) -> list[dict[str, Any]]:
        """The list view: the citizen's phone masked (contact() gives it whole, for the call-back)."""
        query = Ticket.all() if status is None else Ticket.filter(status=status)
        views = []
        for t in await query.order_by("id").prefetch_related("conversation"):
            view = {"id": t.id, "status": t.status, "text": t.text, "answer": t.answer, "delivered": t.delivered,
                    "created_at": t.created_at.isoformat(), "contact": None}
            if (citizen := await citizen_of(t.conversation)) is not None and (citizen.name or citizen.phone):
                view["contact"] = {"name": citizen.name, "phone": mask_phone(citizen.phone)}
            if t.answer and not t.delivered:
                reason = await self._ticket_undelivered_reason(t)
                view["undelivered_reason"], view["undelivered"] = reason, reason_text(reason)
            views.append(view)
        return views

    async def _ticket_undelivered_reason(self, ticket: Ticket) -> str | None:
        rows = await TranscriptMessage.filter(conversation_id=ticket.conversation_id, role="agent").order_by("-id").limit(20)
        row = next((m for m in rows if (m.data or {}).get("ticket") == ticket.id), None)
        return row.data.get("undelivered_reason") if row else None

    async def contact(self, ticket_id: int) -> dict[str, str] | None:
        ticket = await Ticket.get_or_none(id=ticket_id).prefetch_related("conversation")
        if ticket is None:
            raise NotFound("ticket_not_found", "没有找到这个留言工单")
        citizen = await citizen_of(ticket.conversation)
        return {"name": citizen.name, "phone": citizen.phone} if citizen and (citizen.name or citizen.phone) else None

    async def answer_ticket(self, ticket_id: int, agent: StaffAccount, text: str) -> tuple[Ticket, Delivered]:
        ticket = await Ticket.get_or_none(id=ticket_id).prefetch_related("conversation")
        if ticket is None:
            raise NotFound("ticket_not_found", "没有找到这个留言工单")
        if ticket.status != "open":
            raise Conflict("ticket_answered", "这个留言已经回复过了")
        outcome = await self.delivery.to_citizen(
            ticket.conversation, "agent", f"您好，关于您的留言（工单号 {ticket.id}）：{without_greeting(text)}",
            {"ticket": ticket.id})
        ticket.answer, ticket.answered_by_id, ticket.answered_at = text, agent.id, self.clock.now()
        # Not delivered, it stays open: in the open list, with the citizen's contact, for a call-back. The
        # official account's next passive reply to the citizen carries it and then marks it answered.
        ticket.delivered, ticket.status = bool(outcome), "answered" if outcome else "open"
        await ticket.save()
        return ticket, outcome


async def citizen_of(conversation: Conversation) -> Citizen | None:
    """The citizen behind a conversation, if one is known (a ticket view must not create citizens)."""
    return await citizen_of_conversation(conversation, create=False)
