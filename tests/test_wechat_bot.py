"""The official account end to end: WeChat's signed XML into the app (a subprocess, as deployed),
the conversation service, the real Rasa server on the trained model, the actions and the knowledge
base, and the reply back as WeChat would read it. The only stand-in is WeChat's API (FakeWeChat),
for customer-service messages when a reply misses the budget."""
from __future__ import annotations

import asyncio
import os
import re
import sys
import time

import aiohttp
import pytest

from bot.wechat import channel as wechat_channel
from knowledge.bundles import situation_of
from knowledge.loader import load_catalogue
from tests.conftest import KB_PATH, ROOT
from tests.official_account import WECHAT_ENV, OfficialAccount
from tests.wechat_support import CS_PATH, message, new_openid

CATALOGUE = load_catalogue(KB_PATH)
@pytest.fixture
async def account(wechat_stack):
    stack, fake = wechat_stack
    async with aiohttp.ClientSession() as http:
        yield OfficialAccount(stack.app_url, fake, http)


def assert_materials(reply: str, code: str, situation: str | None) -> None:
    data = CATALOGUE.items[code][0].model_dump(mode="json")
    assert data["name"] in reply, reply
    for material in situation_of(data, situation)["materials"]:
        assert material["name"] in reply, (material["name"], reply)


async def test_text_question_is_answered_with_the_materials(account):
    reply = await account.says(new_openid(), "护照丢了补办要带什么材料")
    assert_materials(reply, "CRJ-001", "loss")


async def test_safe_mode_question_and_follow_up(account):
    openid = new_openid()
    reply = await account.says(openid, "办身份证需要什么材料", aes=True)
    data = CATALOGUE.items["GA-001"][0].model_dump(mode="json")
    for s in data["situations"]:
        assert s["name"] in reply
    keys = [s["key"] for s in data["situations"]]
    answer = await account.says(openid, f"第{'一二三四'[keys.index('loss')]}个", aes=True)
    assert_materials(answer, "GA-001", "loss")


async def test_voice_recognition_is_answered(account):
    openid = new_openid()
    reply = await account.send(message("voice", openid, text="护照丢了补办要带什么材料。"), openid)
    assert_materials(reply, "CRJ-001", "loss")


async def test_menu_clicks_reach_the_bot_as_their_intents(account, wechat_stack):
    stack, _ = wechat_stack
    openid, now = new_openid(), int(time.time())
    guide = await account.send(message("click", openid, key="GUIDE", create_time=now), openid)
    assert "材料" in guide and "办护照要什么材料" in guide
    # What "my appointments" and "progress" say depends on the booking code's actions; here it is
    # enough that each click reached Rasa as its intent (Rasa's tracker below).
    for i, key in enumerate(["MY_APPOINTMENTS", "PROGRESS"], 1):
        await account.post(message("click", openid, key=key, create_time=now + i), openid)
    # "人工客服" ends the open progress question and hands the conversation to the agents' queue.
    human = await account.send(message("click", openid, key="HUMAN", create_time=now + 3), openid)
    assert "人工客服" in human and re.search(r"您是下一位|前面还有[1-9]", human)
    async with account.http.get(f"{stack.rasa_url}/conversations/wechat:{openid}/tracker",
                                params={"include_events": "ALL", "token": stack.rasa_token}) as resp:
        tracker = await resp.json()
    intents = [e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"]
    assert intents == ["greet", "query_appointment", "query_progress", "request_human"]


async def test_subscribe_is_welcomed(account):
    openid = new_openid()
    assert await account.send(message("subscribe", openid), openid, aes=True) == wechat_channel.WELCOME


async def test_simulate_command_against_the_running_app(wechat_stack):
    stack, _ = wechat_stack
    env = {**os.environ, **WECHAT_ENV}
    for flags in ([], ["--aes"]):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "miniprogram_api.cli", "wechat", "simulate", "护照丢了补办要带什么材料",
            "--url", stack.app_url, "--openid", new_openid(), *flags, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        reply = out.decode()
        if "success" not in reply.splitlines()[0]:
            assert_materials(reply, "CRJ-001", "loss")


async def test_simulate_with_the_wrong_token_is_refused(wechat_stack):
    stack, _ = wechat_stack
    env = {**os.environ, **WECHAT_ENV, "WECHAT_TOKEN": "not-the-apps-token"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "miniprogram_api.cli", "wechat", "simulate", "你好", "--url", stack.app_url,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and "403" in err.decode()


async def test_hand_off_on_the_official_account_end_to_end(account, wechat_stack):
    """Trigger → queue → claim → the agent's replies arrive as customer-service messages → the
    citizen's reply reaches the agent → close → rating asked → the bot answers again."""
    from tests.bot_stack import waiting_handoff
    from tests.test_handoff_flow import add_agent

    stack, fake = wechat_stack
    agent = add_agent(stack, "公众号坐席")
    openid = new_openid()
    queued = await account.says(openid, "我要转人工")
    assert re.search(r"您是下一位|前面还有[1-9]", queued)

    def to_citizen() -> list[str]:
        return [p["text"]["content"] for p in fake.sent(CS_PATH) if p["touser"] == openid]

    handoff = {"id": await waiting_handoff(stack, "wechat", openid)}
    async with account.http.post(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}/claim", headers=agent) as r:
        assert r.status == 200
    async with account.http.post(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}/messages", headers=agent,
                                 json={"text": "您好，请讲"}) as r:
        assert (await r.json())["delivered"] is True
    assert any("人工客服" in t for t in to_citizen()) and "您好，请讲" in to_citizen()

    # With an agent the webhook answers "success" and the message goes to the agent, not to the bot.
    assert await account.post(message("text", openid, text="我的护照什么时候能好"), openid) == "success"
    async with account.http.get(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}", headers=agent) as r:
        messages = (await r.json())["messages"]
    assert messages[-1]["text"] == "我的护照什么时候能好"
    # What the bot understood shows under the official account's messages too (stored with each message).
    asked = next(m for m in messages if m["role"] == "citizen" and m["text"] == "我要转人工")
    assert asked["intent"] == "request_human" and asked["confidence"] > 0.5
    async with account.http.post(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}/close", headers=agent) as r:
        assert r.status == 200
    assert "请为本次服务评价" in to_citizen()[-1]
    assert "感谢您的评价" in await account.says(openid, "非常满意")
    assert_materials(await account.says(openid, "护照丢了补办要带什么材料"), "CRJ-001", "loss")
