"""The whole hand-off through the real Rasa server, as a citizen in the mini-program chat and an agent
in the console API of the same running app: trigger → queue → claim → agent reply delivered → the
citizen's reply reaches the agent → close → rating asked → the bot answers again."""
from __future__ import annotations

import re
import uuid

import aiohttp
import pytest

from tests.bot_stack import add_staff


def add_agent(stack, name: str) -> dict[str, str]:
    return add_staff(stack, name, "agent")


class Chat:
    def __init__(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str]):
        self.http, self.url, self.headers, self.last = http, url, headers, 0

    async def say(self, text: str) -> dict:
        async with self.http.post(f"{self.url}/api/v1/chat/messages", json={"text": text}, headers=self.headers) as r:
            body = await r.json()
            assert r.status == 200, body
        self.last = max(self.last, body["last_id"])
        return body

    async def wait_for(self, role: str, wait: float = 10) -> list[dict]:
        async with self.http.get(f"{self.url}/api/v1/chat/messages", params={"after": self.last, "wait": wait},
                                 headers=self.headers) as r:
            body = await r.json()
        self.last = body["last_id"]
        got = [m for m in body["messages"] if m["role"] == role]
        assert got, body
        return got


@pytest.fixture
async def chat(bot_stack):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot_stack.app_url}/api/v1/auth/dev-login",
                             json={"openid": f"handoff-{uuid.uuid4().hex[:10]}"}) as r:
            token = (await r.json())["token"]
        yield Chat(http, bot_stack.app_url, {"Authorization": f"Bearer {token}"})


async def test_hand_off_in_the_mini_program_chat_end_to_end(bot_stack, chat):
    agent = add_agent(bot_stack, f"坐席{uuid.uuid4().hex[:4]}")
    http, url = chat.http, bot_stack.app_url
    asked = await chat.say("我要转人工客服")
    queued = "".join(r["text"] for r in asked["replies"])
    assert asked["state"] == "waiting" and re.search(r"您是下一位|前面还有[1-9]", queued)

    async with http.get(f"{url}/admin/console/queue", headers=agent) as r:
        waiting = (await r.json())["waiting"]
    handoff = next(h for h in waiting if h["last_message"] == "我要转人工客服")
    async with http.post(f"{url}/admin/console/handoffs/{handoff['id']}/claim", headers=agent) as r:
        assert r.status == 200
    assert "人工客服" in (await chat.wait_for("agent"))[0]["text"]

    async with http.post(f"{url}/admin/console/handoffs/{handoff['id']}/messages", headers=agent,
                         json={"text": "您好，请问要办理什么业务？"}) as r:
        assert (await r.json())["delivered"] is True
    assert (await chat.wait_for("agent"))[0]["text"] == "您好，请问要办理什么业务？"

    to_agent = await chat.say("办护照要什么材料")  # with an agent: not answered by the bot
    assert to_agent["replies"] == [] and to_agent["state"] == "agent"
    async with http.get(f"{url}/admin/console/handoffs/{handoff['id']}", headers=agent) as r:
        transcript = await r.json()
    citizen_lines = [m for m in transcript["messages"] if m["role"] == "citizen"]
    assert citizen_lines[-1]["text"] == "办护照要什么材料"
    assert citizen_lines[0]["intent"] == "request_human"  # what the bot understood before the hand-off

    async with http.post(f"{url}/admin/console/handoffs/{handoff['id']}/close", headers=agent) as r:
        assert r.status == 200
    assert "请为本次服务评价" in (await chat.wait_for("system"))[-1]["text"]

    answer = await chat.say("办护照要什么材料")
    assert answer["state"] == "bot" and "护照" in "".join(r["text"] for r in answer["replies"])


async def test_a_complaint_offers_a_person_and_yes_hands_off(bot_stack, chat):
    offer = await chat.say("你们窗口工作人员态度太差了我要投诉")
    assert "转接人工客服" in "".join(r["text"] for r in offer["replies"])
    accepted = await chat.say("是的")
    assert accepted["state"] == "waiting"
