"""ID-card and phone numbers typed in free text reach staff masked: the console's transcript and
tickets, the complaints list, the curators' inbox. Revealing one is allowed to the desk whose work it
is and recorded in an audit log."""
from __future__ import annotations

from miniprogram_api.keys import CLOCK
from miniprogram_api.models.applications import Complaint
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.faq import UnansweredQuestion
from miniprogram_api.models.handoff import Ticket
from tests.api_helpers import expect_error, staff_headers
from tests.test_handoff import OPEN, citizen_in_queue

ID, PHONE = "110101199003071234", "13812345678"
TYPED = f"我的身份证号是{ID}，电话{PHONE}，帮我查一下"


def hidden(text: str) -> bool:
    return ID not in text and PHONE not in text and "110101********1234" in text and "138****5678" in text


async def test_the_console_shows_typed_numbers_masked_and_an_agents_reveal_is_audited(api):
    api.app[CLOCK].set(OPEN)
    _, conversation = await citizen_in_queue(api)
    message = await TranscriptMessage.create(conversation=conversation, role="citizen", text=TYPED)
    agent, curator, admin = (await staff_headers("agent", "坐席甲"), await staff_headers("curator"),
                             await staff_headers("admin", "主任"))
    queue = await (await api.get("/admin/console/queue", headers=agent)).json()
    handoff = queue["waiting"][0]
    assert hidden(handoff["last_message"])
    transcript = await (await api.get(f"/admin/console/handoffs/{handoff['id']}", headers=agent)).json()
    shown = next(m for m in transcript["messages"] if m["id"] == message.id)
    assert hidden(shown["text"]) and shown["masked"] is True

    await expect_error(await api.post("/admin/pii/reveal", json={"kind": "message", "ref": str(message.id)},
                                      headers=curator), 403, "forbidden")
    resp = await api.post("/admin/pii/reveal", json={"kind": "message", "ref": str(message.id)}, headers=agent)
    assert (await resp.json())["text"] == TYPED
    await expect_error(await api.post("/admin/pii/reveal", json={"kind": "message", "ref": "999999"}, headers=agent),
                       404, "not_found")
    await expect_error(await api.get("/admin/pii/reveals", headers=agent), 403, "forbidden")
    audit = (await (await api.get("/admin/pii/reveals", headers=admin)).json())["reveals"]
    assert [(a["staff"], a["role"], a["kind"], a["ref"]) for a in audit] == [("坐席甲", "agent", "message", str(message.id))]


async def test_tickets_complaints_and_the_inbox_are_masked_for_staff(api):
    conversation = await Conversation.create(channel="miniprogram", user_id="42")
    ticket = await Ticket.create(conversation=conversation, text=TYPED)
    citizen = await Citizen.create(openid="pii-citizen")
    complaint = await Complaint.create(ticket="TS202611240001", citizen=citizen, category="服务态度", text=TYPED,
                                       created_at=OPEN)
    question = await UnansweredQuestion.create(text=TYPED, intent="nlu_fallback", confidence=0.1)
    agent, manager, curator = (await staff_headers("agent"), await staff_headers("manager"),
                               await staff_headers("curator"))
    tickets = (await (await api.get("/admin/console/tickets", headers=agent)).json())["tickets"]
    assert hidden(next(t for t in tickets if t["id"] == ticket.id)["text"])
    complaints = (await (await api.get("/admin/complaints", headers=manager)).json())["complaints"]
    assert hidden(next(c for c in complaints if c["ticket"] == complaint.ticket)["text"])
    groups = (await (await api.get("/admin/curation/inbox", headers=curator)).json())["groups"]
    group = next(g for g in groups if question.id in g["ids"])
    assert hidden(group["text"]) and all(hidden(e) for e in group["examples"])
    for kind, ref, who in [("ticket", str(ticket.id), agent), ("complaint", complaint.ticket, manager),
                           ("question", str(question.id), curator)]:
        resp = await api.post("/admin/pii/reveal", json={"kind": kind, "ref": ref}, headers=who)
        assert (await resp.json())["text"] == TYPED, kind
