"""WeChat's 5-second rule and its retries: a turn ready within the budget is the passive reply; a
slower one is answered "success" and delivered once as a customer-service message; retries of a
message never make a second turn or a second delivery. Rasa's route is a DelayRasa here, so the
slowness is chosen; the replies' content is tested against the real Rasa in test_wechat_bot.py."""
from __future__ import annotations

import asyncio
import time

from structlog.testing import capture_logs

from tests.wechat_support import CS_PATH, eventually, new_msg_id, new_openid, reply_fields, wechat_app  # noqa: F401

MERGED = "答复：{}\n\n还有什么可以帮您？"


def content(body: str) -> str:
    return reply_fields(body)["Content"]


async def timed(coro):
    started = time.monotonic()
    result = await coro
    return result, time.monotonic() - started


async def test_fast_turn_is_the_passive_reply(wechat_app, fake_wechat):
    app = await wechat_app(budget=2.0, delay=0.05)
    openid = new_openid()
    body = await app.say(openid, "要多久")
    assert content(body) == MERGED.format("要多久")
    await asyncio.sleep(0.2)
    assert fake_wechat.sent(CS_PATH) == []


async def test_slow_turn_answers_success_then_one_customer_service_message(wechat_app, fake_wechat):
    app = await wechat_app(budget=0.1, delay=0.6)
    openid = new_openid()
    body, elapsed = await timed(app.say(openid, "办护照要什么材料"))
    assert body == "success" and elapsed < 0.5
    assert fake_wechat.sent(CS_PATH) == []  # not yet: the turn is still running
    await eventually_sent(fake_wechat, 1)
    sent = fake_wechat.sent(CS_PATH)
    # All the turn's replies in ONE message: each one uses up one of the window's five.
    assert sent == [{"touser": openid, "msgtype": "text", "text": {"content": MERGED.format("办护照要什么材料")}}]
    await asyncio.sleep(0.3)
    assert len(fake_wechat.sent(CS_PATH)) == 1


async def test_retry_while_running_waits_and_gets_the_same_reply(wechat_app, fake_wechat):
    app = await wechat_app(budget=2.0, delay=0.5)
    openid, msg_id = new_openid(), new_msg_id()
    first = asyncio.create_task(app.say(openid, "公积金怎么提取", msg_id))
    await asyncio.sleep(0.15)  # WeChat's retry arrives while the first is still with Rasa
    second = await app.say(openid, "公积金怎么提取", msg_id)
    first = await first
    assert content(first) == content(second) == MERGED.format("公积金怎么提取")
    assert len(app.rasa.calls) == 1
    assert fake_wechat.sent(CS_PATH) == []


async def test_retry_after_the_turn_gets_the_same_reply(wechat_app):
    app = await wechat_app(budget=2.0, delay=0.0)
    openid, msg_id = new_openid(), new_msg_id()
    first = await app.say(openid, "在哪里办", msg_id)
    second = await app.say(openid, "在哪里办", msg_id)
    assert content(first) == content(second)
    assert len(app.rasa.calls) == 1
    other = await app.say(openid, "在哪里办", new_msg_id())  # the same words as a new message are a new turn
    assert content(other) == content(first) and len(app.rasa.calls) == 2


async def test_retry_of_a_message_answered_later_is_not_delivered_twice(wechat_app, fake_wechat):
    app = await wechat_app(budget=0.1, delay=0.6)
    openid, msg_id = new_openid(), new_msg_id()
    assert await app.say(openid, "营业执照怎么办", msg_id) == "success"
    retry, elapsed = await timed(app.say(openid, "营业执照怎么办", msg_id))
    assert retry == "success" and elapsed < 0.3  # acknowledged at once, without waiting on the turn
    await eventually_sent(fake_wechat, 1)
    assert await app.say(openid, "营业执照怎么办", msg_id) == "success"  # a late retry, after delivery
    await asyncio.sleep(0.3)
    assert len(fake_wechat.sent(CS_PATH)) == 1 and len(app.rasa.calls) == 1


async def test_retry_that_outlives_its_own_budget_does_not_deliver_again(wechat_app, fake_wechat):
    """The retry arrives before the first request gave up, waits on the turn, and its own budget
    runs out after the first one claimed the later delivery."""
    app = await wechat_app(budget=0.3, delay=0.8)
    openid, msg_id = new_openid(), new_msg_id()
    first = asyncio.create_task(app.say(openid, "社保卡丢了", msg_id))
    await asyncio.sleep(0.1)
    second = await app.say(openid, "社保卡丢了", msg_id)
    assert (await first, second) == ("success", "success")
    await eventually_sent(fake_wechat, 1)
    await asyncio.sleep(0.4)
    assert len(fake_wechat.sent(CS_PATH)) == 1 and len(app.rasa.calls) == 1


async def test_retry_arriving_just_after_a_passive_reply_gets_it_passively(wechat_app, fake_wechat):
    app = await wechat_app(budget=0.5, delay=0.3)
    openid, msg_id = new_openid(), new_msg_id()
    first = asyncio.create_task(app.say(openid, "结婚登记", msg_id))
    await asyncio.sleep(0.25)
    second = await app.say(openid, "结婚登记", msg_id)
    assert content(await first) == content(second) == MERGED.format("结婚登记")
    await asyncio.sleep(0.2)
    assert fake_wechat.sent(CS_PATH) == []


async def test_window_closed_on_late_delivery_is_logged_not_raised(wechat_app, fake_wechat):
    app = await wechat_app(budget=0.05, delay=0.3)
    openid = new_openid()
    fake_wechat.fail_next(CS_PATH, 45015)
    with capture_logs() as logs:
        assert await app.say(openid, "驾驶证换证") == "success"
        await eventually(lambda: any(e["event"] == "wechat_cs_failed" for e in logs))
    failed = next(e for e in logs if e["event"] == "wechat_cs_failed")
    assert (failed["errcode"], failed["reason"]) == (45015, "window_closed")
    assert openid not in str(failed)  # the openid is logged masked
    # The channel carries on: the next slow message (which reopens the window) is delivered.
    assert await app.say(openid, "驾驶证换证要多久") == "success"
    await eventually_sent(fake_wechat, 1)


async def test_too_many_customer_service_messages_on_late_delivery_is_handled(wechat_app, fake_wechat):
    app = await wechat_app(budget=0.05, delay=0.2)
    openid = new_openid()
    fake_wechat.fail_next(CS_PATH, 45047)
    with capture_logs() as logs:
        assert await app.say(openid, "出生证明") == "success"
        await eventually(lambda: any(e["event"] == "wechat_cs_failed" for e in logs))
    assert next(e for e in logs if e["event"] == "wechat_cs_failed")["reason"] == "limit_reached"
    assert fake_wechat.sent(CS_PATH) == []


async def eventually_sent(fake_wechat, n: int) -> None:
    await eventually(lambda: len(fake_wechat.sent(CS_PATH)) >= n)
    assert len(fake_wechat.sent(CS_PATH)) == n
