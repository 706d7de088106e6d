"""The official account end to end: WeChat's signed XML into the app (a subprocess, as deployed),
the conversation service, the real Rasa server on the trained model, the actions and the knowledge
base, and the reply back as WeChat would read it. The only stand-in is WeChat's API (FakeWeChat),
for customer-service messages when a reply misses the budget."""
from __future__ import annotations

import asyncio
import os
import sys
import time

import aiohttp
import pytest

from bot import replies
from bot.wechat import channel as wechat_channel
from knowledge.bundles import situation_of
from knowledge.loader import load_catalogue
from tests.conftest import KB_PATH, ROOT, _create_pg_database, _drop_pg_database
from tests.fake_wechat import FakeWeChat
from tests.wechat_support import (AES_KEY, APP_ID, APP_SECRET, CS_PATH, TOKEN, decrypt_reply, encrypted, message,
                                  new_openid, reply_fields, signed_params)

CATALOGUE = load_catalogue(KB_PATH)
WECHAT_ENV = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
              "WECHAT_AES_KEY": AES_KEY, "AGENT_HOURS": "24x7"}


class OfficialAccount:
    """WeChat's server in front of the stack: posts a citizen's message and returns what the citizen
    sees, whether it came back passively or later as a customer-service message."""

    def __init__(self, url: str, fake: FakeWeChat, http: aiohttp.ClientSession):
        self.url, self.fake, self.http = url, fake, http

    async def post(self, xml: str, openid: str, aes: bool = False) -> str:
        params, body = encrypted(xml, openid) if aes else (signed_params(openid), xml)
        async with self.http.post(self.url + "/wechat", params=params, data=body.encode(),
                                  timeout=aiohttp.ClientTimeout(total=20)) as resp:
            assert resp.status == 200
            return await resp.text()

    async def send(self, xml: str, openid: str, aes: bool = False) -> str:
        before = len(self.fake.sent(CS_PATH))
        text = await self.post(xml, openid, aes)
        if text != "success":
            return (decrypt_reply(text) if aes else reply_fields(text))["Content"]
        # Slower than the budget (a cold Rasa on a busy machine): the answer follows as one customer-service message.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            later = [p for p in self.fake.sent(CS_PATH)[before:] if p["touser"] == openid]
            if later:
                return later[0]["text"]["content"]
            await asyncio.sleep(0.1)
        raise AssertionError("no answer, neither passive nor as a customer-service message")

    async def says(self, openid: str, text: str, aes: bool = False) -> str:
        return await self.send(message("text", openid, text=text), openid, aes)


@pytest.fixture(scope="session")  # not module: an xdist worker may end a module early
async def wechat_stack(tmp_path_factory):
    from tests.bot_stack import MODEL, start_bot_stack

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run scripts/train.sh (make test does)")
    fake = await FakeWeChat(app_secrets={APP_ID: APP_SECRET}).start()
    name, url = await _create_pg_database()
    stack = await start_bot_stack(url, tmp_path_factory.mktemp("wechat-stack"),
                                  extra_env={**WECHAT_ENV, "WECHAT_API_BASE": fake.url})
    try:
        yield stack, fake
    finally:
        stack.stop()
        await fake.close()
        await _drop_pg_database(name)


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
    assert "人工客服" in human and "前面还有" in human
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
    from tests.test_handoff_flow import add_agent

    stack, fake = wechat_stack
    agent = add_agent(stack, "公众号坐席")
    openid = new_openid()
    queued = await account.says(openid, "我要转人工")
    assert "前面还有" in queued

    def to_citizen() -> list[str]:
        return [p["text"]["content"] for p in fake.sent(CS_PATH) if p["touser"] == openid]

    async with account.http.get(f"{stack.app_url}/admin/console/queue", headers=agent) as r:
        handoff = next(h for h in (await r.json())["waiting"] if h["channel"] == "wechat"
                       and h["last_message"] == "我要转人工")
    async with account.http.post(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}/claim", headers=agent) as r:
        assert r.status == 200
    async with account.http.post(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}/messages", headers=agent,
                                 json={"text": "您好，请讲"}) as r:
        assert (await r.json())["delivered"] is True
    assert any("人工客服" in t for t in to_citizen()) and "您好，请讲" in to_citizen()

    # With an agent the webhook answers "success" and the message goes to the agent, not to the bot.
    assert await account.post(message("text", openid, text="我的护照什么时候能好"), openid) == "success"
    async with account.http.get(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}", headers=agent) as r:
        assert (await r.json())["messages"][-1]["text"] == "我的护照什么时候能好"
    async with account.http.post(f"{stack.app_url}/admin/console/handoffs/{handoff['id']}/close", headers=agent) as r:
        assert r.status == 200
    assert "请为本次服务评价" in to_citizen()[-1]
    assert "感谢您的评价" in await account.says(openid, "非常满意")
    assert_materials(await account.says(openid, "护照丢了补办要带什么材料"), "CRJ-001", "loss")
