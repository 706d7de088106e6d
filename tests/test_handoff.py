"""Hand-off mechanics in the app, on PostgreSQL and SQLite: queue and claim race, replies both ways,
close and rating request, the idle rule, leave-a-message outside agent hours, a restart in the middle.
(The whole flow through the real Rasa server is in test_handoff_flow.py.)"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.chat_rating import ChatRating, parse_rating
from bot.handoff_tickets import without_greeting
from miniprogram_api import housekeeping
from miniprogram_api.app import create_app
from miniprogram_api.clock import TZ, Clock
from miniprogram_api.keys import CLOCK, CONVERSATIONS, HANDOFF, SETTINGS
from miniprogram_api.models.applications import Rating
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.handoff import Handoff, Ticket
from tests.api_helpers import expect_error, login, staff_headers

OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday morning: agents on duty


async def citizen_in_queue(api, code: str = "queue-1") -> tuple[dict, Conversation]:
    headers = await login(api, code)
    me = await (await api.get("/api/v1/me", headers=headers)).json()
    conversation, _ = await Conversation.get_or_create(channel="miniprogram", user_id=str(me["id"]))
    replies = await api.app[HANDOFF].request(conversation, "asked")
    assert re.search(r"您是下一位|前面还有[1-9]", replies[0]) and "前面还有0位" not in replies[0]
    return headers, conversation


async def poll(api, headers, after: int = 0, wait: float = 0) -> list[dict]:
    resp = await api.get("/api/v1/chat/messages", params={"after": after, "wait": wait}, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["messages"]


async def test_queue_claim_race_reply_both_ways_close_and_rating_request(api):
    api.app[CLOCK].set(OPEN)
    headers, conversation = await citizen_in_queue(api)
    agent_a, agent_b = await staff_headers("agent", "王坐席"), await staff_headers("agent", "李坐席")
    queue = await (await api.get("/admin/console/queue", headers=agent_a)).json()
    handoff_id = queue["waiting"][0]["id"]
    a, b = await asyncio.gather(api.post(f"/admin/console/handoffs/{handoff_id}/claim", headers=agent_a),
                                api.post(f"/admin/console/handoffs/{handoff_id}/claim", headers=agent_b))
    assert sorted([a.status, b.status]) == [200, 409]
    winner = agent_a if a.status == 200 else agent_b
    loser = agent_b if winner is agent_a else agent_a
    greeting = await poll(api, headers)
    assert "人工客服" in greeting[-1]["text"] and greeting[-1]["role"] == "agent"

    resp = await api.post(f"/admin/console/handoffs/{handoff_id}/messages", headers=winner, json={"text": "请问您要办什么业务？"})
    assert (await resp.json())["delivered"] is True
    await expect_error(await api.post(f"/admin/console/handoffs/{handoff_id}/messages", headers=loser,
                                      json={"text": "抢答"}), 403, "not_your_conversation")
    last = greeting[-1]["id"]
    assert (await poll(api, headers, last))[-1]["text"] == "请问您要办什么业务？"

    # The citizen's message goes to the agent, not to the bot (Rasa is not even running here).
    turn = await api.app[CONVERSATIONS].handle("miniprogram", conversation.user_id, "我想问护照加急")
    assert turn.replies == []
    transcript = await (await api.get(f"/admin/console/handoffs/{handoff_id}", headers=winner)).json()
    assert transcript["messages"][-1]["role"] == "citizen" and transcript["messages"][-1]["text"] == "我想问护照加急"

    assert (await api.post(f"/admin/console/handoffs/{handoff_id}/close", headers=winner)).status == 200
    closing = (await poll(api, headers, transcript["messages"][-1]["id"]))[-1]
    assert "请为本次服务评价" in closing["text"] and closing["data"]["event"] == "rating_requested"
    conversation = await Conversation.get(id=conversation.id)
    assert conversation.state == "bot" and conversation.rating_handoff_id == handoff_id


async def test_long_poll_wakes_when_the_agent_replies(api):
    api.app[CLOCK].set(OPEN)
    headers, conversation = await citizen_in_queue(api, "poller")
    agent = await staff_headers("agent")
    handoff = await Handoff.get(conversation=conversation)
    seen = (await poll(api, headers))[-1]["id"] if await poll(api, headers) else 0
    waiting = asyncio.create_task(poll(api, headers, seen, wait=10))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    await api.post(f"/admin/console/handoffs/{handoff.id}/claim", headers=agent)
    messages = await asyncio.wait_for(waiting, 5)
    assert messages and messages[0]["role"] == "agent"


async def test_an_idle_agent_conversation_closes_itself(api):
    api.app[CLOCK].set(OPEN)
    headers, conversation = await citizen_in_queue(api, "idle")
    agent = await staff_headers("agent")
    handoff = await Handoff.get(conversation=conversation)
    await api.post(f"/admin/console/handoffs/{handoff.id}/claim", headers=agent)
    api.app[CLOCK].advance(timedelta(minutes=29))
    await housekeeping.run_once(api.app)
    assert (await Handoff.get(id=handoff.id)).status == "active"
    api.app[CLOCK].advance(timedelta(minutes=2))
    await housekeeping.run_once(api.app)
    assert (await Handoff.get(id=handoff.id)).closed_reason == "idle"
    assert "自动结束" in (await poll(api, headers))[-1]["text"]
    assert (await Conversation.get(id=conversation.id)).state == "bot"


async def test_outside_agent_hours_the_citizen_leaves_a_message_answered_later(api):
    api.app[CLOCK].set(datetime(2026, 11, 29, 20, 0, tzinfo=TZ))  # a Sunday evening
    headers = await login(api, "night")
    me = await (await api.get("/api/v1/me", headers=headers)).json()
    conversation, _ = await Conversation.get_or_create(channel="miniprogram", user_id=str(me["id"]))
    replies = await api.app[HANDOFF].request(conversation, "asked")
    assert "不在人工客服服务时间" in replies[0]
    turn = await api.app[CONVERSATIONS].handle("miniprogram", conversation.user_id, "我的营业执照变更申请被退回了，想问原因")
    assert "工单号" in turn.replies[0]
    ticket = await Ticket.get(conversation=conversation)
    assert (await Conversation.get(id=conversation.id)).state == "bot"
    agent = await staff_headers("agent")
    listed = await (await api.get("/admin/console/tickets", params={"status": "open"}, headers=agent)).json()
    assert [t["id"] for t in listed["tickets"]] == [ticket.id]
    resp = await api.post(f"/admin/console/tickets/{ticket.id}/answer", headers=agent, json={"text": "缺少股东会决议，请补交。"})
    assert (await resp.json())["delivered"] is True
    assert "缺少股东会决议" in (await poll(api, headers))[-1]["text"]
    await expect_error(await api.post(f"/admin/console/tickets/{ticket.id}/answer", headers=agent, json={"text": "again"}),
                       409, "ticket_answered")


async def test_nobody_claims_in_time_offers_a_message(api):
    api.app[CLOCK].set(OPEN)
    headers, conversation = await citizen_in_queue(api, "unclaimed")
    api.app[CLOCK].advance(timedelta(minutes=11))
    await housekeeping.run_once(api.app)
    assert (await Handoff.get(conversation=conversation)).status == "expired"
    assert "留言" in (await poll(api, headers))[-1]["text"]
    assert (await Conversation.get(id=conversation.id)).state == "leave_message"


async def test_a_restart_loses_no_queue_position_or_message(api):
    api.app[CLOCK].set(OPEN)
    _, first = await citizen_in_queue(api, "before-restart-1")
    headers, second = await citizen_in_queue(api, "before-restart-2")
    await api.app[CONVERSATIONS].handle("miniprogram", second.user_id, "还要等多久")
    # A second app on the same database and Redis, as after a restart.
    restarted = create_app(api.app[SETTINGS], manage_db=False, clock=Clock(OPEN), housekeeping_loop=False)
    async with TestClient(TestServer(restarted)) as again:
        agent = await staff_headers("agent")
        queue = await (await again.get("/admin/console/queue", headers=agent)).json()
        assert [h["last_message"] for h in queue["waiting"]][-1] == "还要等多久"
        handoff = await Handoff.get(conversation=second)
        assert await again.app[HANDOFF].position(handoff) == 2
        assert (await again.post(f"/admin/console/handoffs/{handoff.id}/claim", headers=agent)).status == 200
        assert await TranscriptMessage.filter(conversation=second, role="citizen", text="还要等多久").exists()


# The chat asks "回复：非常满意、满意、基本满意、不满意、非常不满意（或5到1分）": points and stars count up
# (5 the best), levels down (1 非常满意 … 5 非常不满意), so N points is level 6 - N.
@pytest.mark.parametrize("text, level, comment", [
    ("5", 1, ""), ("1分", 5, ""), ("4分吧，回复挺快但等太久", 2, "回复挺快但等太久"), ("打五星", 1, ""),
    ("我给4星，态度好。", 2, "态度好。"), ("满分", 1, ""), ("给个满分，很耐心", 1, "很耐心"), ("两星吧", 4, ""),
    ("非常满意，工作人员很耐心", 1, "工作人员很耐心"), ("基本满意", 3, ""), ("我不是很满意，太慢了", 4, "太慢了"),
    ("非常不满意！", 5, ""), ("5分，非常满意", 1, ""), ("还行，就是有点慢，3分", 3, "还行，就是有点慢"),
])
def test_a_rating_in_words(text, level, comment):
    assert parse_rating(text) == ChatRating(level, comment)


@pytest.mark.parametrize("text", ["等了15分钟才接通", "三分之一的材料", "一分钱都不用吗", "满意度怎么查", "社保卡怎么补办", "10"])
def test_not_a_rating(text):
    assert parse_rating(text) is None


def test_a_staff_greeting_is_not_doubled():
    assert without_greeting("您好！请补交材料。") == "请补交材料。"
    assert without_greeting("你好，已办结") == "已办结"
    assert without_greeting("请补交材料") == "请补交材料"
    assert without_greeting("您好") == "您好"  # nothing else: kept as written


async def test_a_chat_rating_keeps_the_citizens_words(api):
    api.app[CLOCK].set(OPEN)
    headers, conversation = await citizen_in_queue(api, "rater-in-chat")
    agent = await staff_headers("agent")
    handoff = await Handoff.get(conversation=conversation)
    await api.post(f"/admin/console/handoffs/{handoff.id}/claim", headers=agent)
    await api.post(f"/admin/console/handoffs/{handoff.id}/close", headers=agent)
    turn = await api.app[CONVERSATIONS].handle("miniprogram", conversation.user_id, "4分吧，回复挺快但等太久")
    assert turn.replies[0].startswith("感谢您的评价")
    rating = await Rating.get(target_type="handoff", target_id=handoff.id)
    assert (rating.level, rating.comment) == (2, "回复挺快但等太久")
    assert (await Conversation.get(id=conversation.id)).rating_handoff_id is None


async def test_quick_replies_are_labelled_with_the_curators_chinese_titles(api):
    from miniprogram_api.models.faq import FaqIntent

    await FaqIntent.create(key="parking", title="停车", examples=["哪里停车"], answer="地下停车场可免费停2小时。")
    await FaqIntent.create(key="old_hours", title="旧的时间", examples=["x"], answer="不用了", enabled=False)
    body = await (await api.get("/admin/console/quick-replies", headers=await staff_headers("agent"))).json()
    assert body["quick_replies"] == [{"key": "parking", "title": "停车", "text": "地下停车场可免费停2小时。"}]
