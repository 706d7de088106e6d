"""Customer-service messages within WeChat's window (5 per 48 h after the user's last message), the
errors WeChat answers with, and the access token they use: cached in Redis, refreshed once on 40001."""
from __future__ import annotations

import asyncio
import time

import pytest
from structlog.testing import capture_logs

from bot import customer_service as cs
from miniprogram_api.config import ConfigError, Settings
from miniprogram_api.keys import HTTP, OFFICIAL, REDIS
from miniprogram_api.wechat_api import WeChatApi
from tests.wechat_support import CS_PATH, message, new_openid, wechat_app  # noqa: F401

pytestmark = pytest.mark.both_redis


@pytest.fixture
async def official(wechat_app):
    app = await wechat_app()
    return app, app.app[OFFICIAL], app.app[REDIS]


async def test_nothing_is_sent_before_the_user_writes(official, fake_wechat):
    _, api, redis = official
    with capture_logs() as logs:
        assert await cs.send_text(api, redis, new_openid(), "您好") == cs.SendResult("window_closed")
    assert fake_wechat.sent(CS_PATH) == []
    assert [e.get("reason") for e in logs if e["event"] == "wechat_cs_refused"] == ["window_closed"]


async def test_five_messages_per_user_message(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    results = [await cs.send_text(api, redis, openid, f"第{i}条") for i in range(1, 7)]
    assert [bool(r) for r in results] == [True] * 5 + [False]
    assert [r.reason for r in results] == [None] * 5 + ["limit_reached"]
    assert [p["text"]["content"] for p in fake_wechat.sent(CS_PATH)] == [f"第{i}条" for i in range(1, 6)]
    assert await cs.remaining(redis, openid) == 0
    await cs.note_user_message(redis, openid)  # the user writes again: five more
    assert await cs.remaining(redis, openid) == 5
    assert await cs.send_text(api, redis, openid, "第6条") == cs.SENT


async def test_concurrent_senders_share_the_five(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    results = await asyncio.gather(*(cs.send_text(api, redis, openid, str(i)) for i in range(12)))
    assert [bool(r) for r in results].count(True) == 5 and len(fake_wechat.sent(CS_PATH)) == 5


async def test_window_closes_48_hours_after_the_user_message(official, fake_wechat):
    _, api, redis = official
    openid, now = new_openid(), time.time()
    await cs.note_user_message(redis, openid, now=now - 48 * 3600 + 60)
    assert await cs.send_text(api, redis, openid, "还在窗口内", now=now)
    assert (await cs.send_text(api, redis, openid, "已过48小时", now=now + 120)).reason == "window_closed"
    assert len(fake_wechat.sent(CS_PATH)) == 1


async def test_user_message_through_the_webhook_opens_the_window(wechat_app, fake_wechat):
    app = await wechat_app()
    openid = new_openid()
    status, _ = await app.post(message("image", openid), openid)
    assert status == 200 and await cs.remaining(app.app[REDIS], openid) == 5
    assert await cs.send_text(app.app[OFFICIAL], app.app[REDIS], openid, "人工客服已接入")


async def test_view_and_unsubscribe_do_not_open_the_window(wechat_app):
    app = await wechat_app()
    openid = new_openid()
    for kind in ("view", "unsubscribe"):
        await app.post(message(kind, openid), openid)
    assert await cs.remaining(app.app[REDIS], openid) == 0


async def test_45015_window_closed_by_wechat(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    fake_wechat.fail_next(CS_PATH, 45015)
    with capture_logs() as logs:
        assert (await cs.send_text(api, redis, openid, "您好")).reason == "window_closed"
        assert (await cs.send_text(api, redis, openid, "您好")).reason == "window_closed"  # WeChat said so: believe it
    assert [(e["event"], e["reason"]) for e in logs if e["event"].startswith("wechat_cs")] == [
        ("wechat_cs_failed", "window_closed"), ("wechat_cs_refused", "window_closed")]
    assert fake_wechat.sent(CS_PATH) == []


async def test_45047_too_many_fills_the_window(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    fake_wechat.fail_next(CS_PATH, 45047)
    assert (await cs.send_text(api, redis, openid, "您好")).reason == "limit_reached"
    assert await cs.remaining(redis, openid) == 0


async def test_other_failures_give_the_reservation_back(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    fake_wechat.fail_next(CS_PATH, 45009)  # API quota: not the window's fault
    assert (await cs.send_text(api, redis, openid, "您好")).reason == "wechat_error"
    assert await cs.remaining(redis, openid) == 5


async def test_token_is_cached_in_redis_and_refreshed_once_on_40001(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    assert await cs.send_text(api, redis, openid, "一") and await cs.send_text(api, redis, openid, "二")
    assert fake_wechat.token_requests == 1
    cached = await redis.get(f"govhall:wechat:token:{api.app_id}")
    assert cached and cached in fake_wechat.valid_tokens
    fake_wechat.revoke_tokens()  # WeChat invalidated it (the secret was reset, another server refreshed …)
    with capture_logs() as logs:
        assert await cs.send_text(api, redis, openid, "三") == cs.SENT
    assert fake_wechat.token_requests == 2
    assert any(e["event"] == "wechat_token_refused" and e["errcode"] == 40001 for e in logs)
    assert [p["text"]["content"] for p in fake_wechat.sent(CS_PATH)] == ["一", "二", "三"]


async def test_40001_after_the_refresh_is_logged_and_refunded(official, fake_wechat):
    _, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    fake_wechat.fail_next(CS_PATH, 40001, 40001)
    with capture_logs() as logs:
        assert (await cs.send_text(api, redis, openid, "您好")).reason == "invalid_token"
    assert fake_wechat.token_requests == 2  # exactly one refresh, no loop
    assert any(e["event"] == "wechat_cs_failed" and e["reason"] == "invalid_token" for e in logs)
    assert await cs.remaining(redis, openid) == 5


async def test_two_workers_refresh_the_token_once(wechat_app, fake_wechat):
    app = await wechat_app()
    redis, http = app.app[REDIS], app.app[HTTP]
    workers = [WeChatApi(fake_wechat.url, "wx-official", "oa-secret", http, redis) for _ in range(5)]
    tokens = await asyncio.gather(*(w.access_token() for w in workers))
    assert len(set(tokens)) == 1 and fake_wechat.token_requests == 1


async def test_unreachable_wechat_is_a_false_not_an_exception(official):
    app, api, redis = official
    openid = new_openid()
    await cs.note_user_message(redis, openid)
    down = WeChatApi("http://127.0.0.1:9", api.app_id, api.app_secret, api.http, redis)
    await redis.set(f"govhall:wechat:token:{api.app_id}", "cached-token")
    assert (await cs.send_text(down, redis, openid, "您好")).reason == "wechat_error"
    assert await cs.remaining(redis, openid) == 5


async def test_unconfigured_account_sends_nothing(official):
    _, api, redis = official
    unconfigured = WeChatApi(api.base_url, "", "", api.http, redis)
    assert (await cs.send_text(unconfigured, redis, new_openid(), "您好")).reason == "not_configured"


def test_reply_budget_setting():
    assert Settings.from_env({}).wechat_reply_budget == 4.0
    assert Settings.from_env({"WECHAT_REPLY_BUDGET": "2.5"}).wechat_reply_budget == 2.5
    for bad in ("abc", "0", "-1", "5", "30"):
        with pytest.raises(ConfigError, match="WECHAT_REPLY_BUDGET"):
            Settings.from_env({"WECHAT_REPLY_BUDGET": bad})


def test_aes_key_must_be_base64_of_32_bytes():
    with pytest.raises(ConfigError, match="WECHAT_AES_KEY"):
        Settings.from_env({"WECHAT_AES_KEY": "*" * 43})
