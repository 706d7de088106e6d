"""Hand-off messages the official account could not send: the agent is told the true reason, the row
keeps it, the console marks it, and the citizen's next message's passive reply carries it (and marks it
delivered). Tickets whose answer did not arrive stay open with the contact for a call-back."""
from __future__ import annotations

import uuid

import pytest

from bot import customer_service as cs
from miniprogram_api.keys import CLOCK, CONVERSATIONS, HANDOFF, REDIS, TICKETS
from miniprogram_api.models.applications import Rating
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.handoff import Handoff, Ticket
from miniprogram_api.models.staff import PiiReveal
from miniprogram_api.services.staff import add_staff
from tests.api_helpers import staff_headers
from tests.test_handoff import OPEN
from tests.wechat_support import CS_PATH, new_msg_id, new_openid, reply_fields, wechat_app  # noqa: F401


async def wechat_handoff(api, openid: str) -> tuple[Conversation, int, dict[str, str]]:
    """A WeChat citizen in the queue and an agent who claimed them (the greeting's fate is the window's)."""
    api.app[CLOCK].set(OPEN)
    conversation = await Conversation.create(channel="wechat", user_id=openid)
    await TranscriptMessage.create(conversation=conversation, role="citizen", text="我的营业执照怎么还没办好")
    await api.app[HANDOFF].request(conversation, "asked")
    handoff = await Handoff.get(conversation=conversation)
    agent = await staff_headers("agent", f"王坐席{uuid.uuid4().hex[:4]}")
    assert (await api.post(f"/admin/console/handoffs/{handoff.id}/claim", headers=agent)).status == 200
    return conversation, handoff.id, agent


REASONS = {
    "window_closed": "群众超过48小时没有发消息",
    "limit_reached": "已用完48小时内的5条客服消息",
    "invalid_token": "公众号接口凭证无效",
    "wechat_error": "微信接口出错",
}


@pytest.mark.parametrize("reason", list(REASONS))
async def test_the_agent_is_told_the_true_reason(api, fake_wechat, reason):
    openid = new_openid()
    redis = api.app[REDIS]
    if reason != "window_closed":
        await cs.note_user_message(redis, openid)
    conversation, handoff_id, agent = await wechat_handoff(api, openid)
    if reason == "limit_reached":
        await redis.hset(f"govhall:wechat:cs:{openid}", "sent", cs.MAX_MESSAGES)  # the other four went out earlier
    elif reason == "invalid_token":
        fake_wechat.fail_next(CS_PATH, 40001, 40001)
    elif reason == "wechat_error":
        fake_wechat.fail_next(CS_PATH, 45009)
    resp = await api.post(f"/admin/console/handoffs/{handoff_id}/messages", headers=agent, json={"text": "请稍等，我帮您查一下"})
    body = await resp.json()
    assert resp.status == 200
    assert body["delivered"] is False and body["reason"] == reason
    assert REASONS[reason] in body["message"]
    row = await TranscriptMessage.filter(conversation=conversation, role="agent").order_by("-id").first()
    assert row.text == "请稍等，我帮您查一下"
    assert row.data["delivered"] is False and row.data["undelivered_reason"] == reason
    transcript = await (await api.get(f"/admin/console/handoffs/{handoff_id}", headers=agent)).json()
    assert transcript["messages"][-1]["undelivered"] == REASONS[reason]
    # It waits for the citizen's next message.
    pending = await redis.lrange(f"govhall:wechat:pending:{openid}", 0, -1)
    assert any("请稍等" in p for p in pending)
    assert 0 < await redis.ttl(f"govhall:wechat:pending:{openid}") <= cs.PENDING_SECONDS


async def test_unconfigured_account_and_delivered_replies(api):
    openid = new_openid()
    await cs.note_user_message(api.app[REDIS], openid)
    conversation, handoff_id, agent = await wechat_handoff(api, openid)
    body = await (await api.post(f"/admin/console/handoffs/{handoff_id}/messages", headers=agent,
                                 json={"text": "您好"})).json()
    assert body == {"delivered": True, "reason": None}
    api.app[HANDOFF].delivery.wechat_sender = None  # as if the account had no customer-service API
    body = await (await api.post(f"/admin/console/handoffs/{handoff_id}/messages", headers=agent,
                                 json={"text": "还在吗"})).json()
    assert body["reason"] == "not_configured" and "公众号未配置客服消息接口" in body["message"]


async def test_the_next_message_carries_the_agents_reply(wechat_app, fake_wechat):
    app = await wechat_app()
    openid, redis = new_openid(), app.app[REDIS]
    assert "答复：你好" in await app.say(openid, "你好")
    conversation = await Conversation.get(channel="wechat", user_id=openid)
    account, token = await add_staff(f"李坐席{uuid.uuid4().hex[:4]}", "agent")
    agent = {"Authorization": "Bearer " + token}
    handoff = await app.app[HANDOFF].join(conversation, account)
    assert [p["text"]["content"] for p in fake_wechat.sent(CS_PATH)][-1].startswith("您好，我是人工客服")
    await redis.delete(f"govhall:wechat:cs:{openid}")  # 48 hours pass
    resp = await app.client.post(f"/admin/console/handoffs/{handoff.id}/messages", headers=agent,
                                 json={"text": "您的执照明天可以领取"})
    assert (await resp.json())["reason"] == "window_closed"
    calls = len(app.rasa.calls)
    # During the hand-off the bot says nothing: the passive reply is the waiting text alone.
    msg_id = new_msg_id()
    reply = reply_fields(await app.say(openid, "还在吗", msg_id=msg_id))
    assert reply["Content"] == "【客服回复】您的执照明天可以领取"
    assert len(app.rasa.calls) == calls
    row = await TranscriptMessage.get(conversation=conversation, text="您的执照明天可以领取")
    assert row.data["delivered"] is True and row.data["delivered_late"] is True
    assert await redis.llen(f"govhall:wechat:pending:{openid}") == 0
    # WeChat retries the same message: the same text again, not lost.
    assert reply_fields(await app.say(openid, "还在吗", msg_id=msg_id))["Content"] == reply["Content"]
    # The next message has nothing waiting.
    assert await app.say(openid, "好的") == "success"


async def test_an_unseen_rating_question_comes_with_the_bot_answer_and_the_rating_keeps_its_words(wechat_app):
    app = await wechat_app()
    openid, redis = new_openid(), app.app[REDIS]
    await app.say(openid, "你好")
    conversation = await Conversation.get(channel="wechat", user_id=openid)
    account, _ = await add_staff(f"赵坐席{uuid.uuid4().hex[:4]}", "agent")
    handoff = await app.app[HANDOFF].join(conversation, account)
    await redis.delete(f"govhall:wechat:cs:{openid}")
    await app.app[HANDOFF].close(handoff.id, "agent", account)
    reply = reply_fields(await app.say(openid, "社保卡怎么补办"))["Content"]
    assert reply.startswith("【客服消息】本次人工服务已结束") and "请为本次服务评价" in reply
    assert reply.endswith("答复：社保卡怎么补办\n\n还有什么可以帮您？")
    # The question reached the citizen only now: their next message may still be the rating.
    assert (await Conversation.get(id=conversation.id)).rating_handoff_id == handoff.id
    reply = reply_fields(await app.say(openid, "4分吧，回复挺快但等太久"))["Content"]
    assert reply.startswith("感谢您的评价")
    rating = await Rating.get(target_type="handoff", target_id=handoff.id)
    assert (rating.level, rating.comment) == (2, "回复挺快但等太久")  # 4 of 5 points: 满意


async def test_an_undelivered_ticket_answer_stays_open_with_the_contact(api):
    api.app[CLOCK].set(OPEN)
    openid = new_openid()
    await Citizen.create(oa_openid=openid, name="张三", phone="13812345678")
    conversation = await Conversation.create(channel="wechat", user_id=openid, state="leave_message")
    await api.app[CONVERSATIONS].handle("wechat", openid, "营业执照变更被退回了，想问原因")
    ticket = await Ticket.get(conversation=conversation)
    agent = await staff_headers("agent", f"孙坐席{uuid.uuid4().hex[:4]}")
    resp = await api.post(f"/admin/console/tickets/{ticket.id}/answer", headers=agent,
                          json={"text": "您好！缺少股东会决议，请补交。"})
    body = await resp.json()
    assert (body["status"], body["delivered"], body["reason"]) == ("open", False, "window_closed")
    assert "请电话回访" in body["message"]
    row = await TranscriptMessage.filter(conversation=conversation, role="agent").order_by("-id").first()
    assert row.text == f"您好，关于您的留言（工单号 {ticket.id}）：缺少股东会决议，请补交。"  # one greeting
    listed = (await (await api.get("/admin/console/tickets", params={"status": "open"}, headers=agent)).json())["tickets"]
    view = next(t for t in listed if t["id"] == ticket.id)
    assert view["contact"] == {"name": "张三", "phone": "138****5678"}
    assert view["answer"] == "您好！缺少股东会决议，请补交。" and view["undelivered"] == "群众超过48小时没有发消息"
    contact = await (await api.post(f"/admin/console/tickets/{ticket.id}/contact", headers=agent)).json()
    assert contact == {"name": "张三", "phone": "13812345678"}
    assert await PiiReveal.exists(kind="ticket_contact", ref=str(ticket.id))
    # It waits for the citizen's next message (test_a_late_ticket_answer_closes_the_ticket follows it there).
    pending = await cs.take_pending(api.app[REDIS], openid)
    assert [p["row"] for p in pending] == [row.id]


async def test_a_late_ticket_answer_closes_the_ticket(wechat_app):
    app = await wechat_app()
    openid, redis = new_openid(), app.app[REDIS]
    await app.say(openid, "你好")
    conversation = await Conversation.get(channel="wechat", user_id=openid)
    ticket = await Ticket.create(conversation=conversation, text="想问进度", reason="outside_hours")
    await redis.delete(f"govhall:wechat:cs:{openid}")
    account, _ = await add_staff(f"周坐席{uuid.uuid4().hex[:4]}", "agent")
    t, outcome = await app.app[TICKETS].answer_ticket(ticket.id, account, "你好，已经办结了")
    assert t.status == "open" and not outcome and outcome.reason_text == "群众超过48小时没有发消息"
    reply = reply_fields(await app.say(openid, "在吗"))["Content"]
    assert reply.startswith(f"【客服回复】您好，关于您的留言（工单号 {ticket.id}）：已经办结了\n\n答复：在吗")
    ticket = await Ticket.get(id=ticket.id)
    assert (ticket.status, ticket.delivered) == ("answered", True)


async def test_console_marks_an_undelivered_reply_with_its_reason(api):
    from tests.browser import ARTIFACTS, browser_page, sign_in

    openid = new_openid()
    api.app[CLOCK].set(OPEN)
    conversation = await Conversation.create(channel="wechat", user_id=openid)
    await TranscriptMessage.create(conversation=conversation, role="citizen", text="我的营业执照变更办到哪一步了？")
    await TranscriptMessage.create(conversation=conversation, role="bot", text="正在为您转接人工客服，请稍候。")
    await api.app[HANDOFF].request(conversation, "asked")
    account, token = await add_staff(f"页面坐席{uuid.uuid4().hex[:4]}", "agent")
    async with browser_page() as page:
        await sign_in(page, str(api.make_url("/admin/console")), token)
        await page.click("#waiting .item >> nth=-1")
        await page.wait_for_selector("#log .citizen")
        await page.click("#claimBtn")  # the greeting cannot go out either: the citizen wrote days ago
        await page.wait_for_selector("#log .agent")
        await page.fill("#reply", "您的变更申请已受理，预计3个工作日内办结。")
        await page.click("text=发送")
        await page.locator("#log .agent.failed", has_text="预计3个工作日内办结").wait_for()
        await page.locator("#sendNote", has_text="群众超过48小时没有发消息").wait_for()
        marks = await page.locator("#log .undelivered").all_inner_texts()
        assert marks == ["未送达：群众超过48小时没有发消息"] * 2  # the greeting and the reply
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "console-undelivered.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        # Reloaded from the transcript, the mark is still there (from the row's data).
        await page.reload()
        await page.click("#active .item >> nth=-1")
        await page.locator("#log .undelivered", has_text="未送达：群众超过48小时没有发消息").first.wait_for()
