"""Scripted conversations (tests/data/conversations.yml), end to end through the real Rasa: each is a
citizen's messages with what the replies must and must not say, run on the mini-program's chat API
and on the official account (signed XML in, the reply WeChat would show out), or on the one named.

Placeholders: {day} is the first bookable weekday after today at the city centre (写作 12月4日),
{weekday} its 周X; so the scripts hold on any day the suite runs."""
from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.bot_stack import add_staff, waiting_handoff
from tests.official_account import OfficialAccount
from tests.wechat_support import message, new_openid

SCRIPTS = yaml.safe_load((Path(__file__).parent / "data" / "conversations.yml").read_text(encoding="utf-8"))
CHANNELS = ("miniprogram", "wechat")
WEEKDAYS = "一二三四五六日"


def _cases():
    for script in SCRIPTS:
        for channel in script.get("channels", CHANNELS):
            yield pytest.param(script, channel, id=f"{channel}-{script['name']}")


class MiniProgram:
    def __init__(self, url: str, http: aiohttp.ClientSession):
        self.url, self.http, self.headers = url, http, {}

    async def start(self) -> None:
        async with self.http.post(f"{self.url}/api/v1/auth/dev-login",
                                  json={"openid": f"conv-{uuid.uuid4().hex[:12]}"}) as resp:
            assert resp.status == 200, await resp.text()
            self.headers = {"Authorization": "Bearer " + (await resp.json())["token"]}

    async def user_id(self) -> str:
        async with self.http.get(f"{self.url}/api/v1/me", headers=self.headers) as resp:
            return str((await resp.json())["id"])

    async def tells_agent(self, text: str) -> str:
        reply = await self.says(text)
        assert reply == "", reply
        return reply

    async def says(self, text: str) -> str:
        async with self.http.post(f"{self.url}/api/v1/chat/messages", json={"text": text}, headers=self.headers,
                                  timeout=aiohttp.ClientTimeout(total=60)) as resp:
            body = await resp.json()
            assert resp.status == 200, body
            return "\n\n".join(r["text"] for r in body["replies"])


class Wechat:
    def __init__(self, account: OfficialAccount):
        self.account, self.openid = account, new_openid()

    async def start(self) -> None:
        pass

    async def user_id(self) -> str:
        return self.openid

    async def tells_agent(self, text: str) -> str:
        # With a person on the other end, WeChat gets "success" and nothing for the citizen.
        assert await self.account.post(message("text", self.openid, text=text), self.openid) == "success"
        return ""

    async def says(self, text: str) -> str:
        return await self.account.says(self.openid, text)


async def _booking_day(url: str, http: aiohttp.ClientSession) -> date:
    async with http.get(f"{url}/api/v1/halls/SMZX/slots", params={"item_code": "CRJ-001"}) as resp:
        days = sorted({date.fromisoformat(s["day"]) for s in (await resp.json())["slots"]})
    # A weekday: Saturdays are half days, and the scripts book afternoon times.
    later = [d for d in days if d > date.today() and d.weekday() < 5]
    assert later, "no bookable weekday after today at the city centre"
    return later[0]


def _fill(text: str, day: date) -> str:
    return text.replace("{day}", f"{day.month}月{day.day}日").replace("{weekday}", f"周{WEEKDAYS[day.weekday()]}")


class Agent:
    """An agent in the console: claims the citizen's hand-off, answers, closes it (the rating follows)."""

    def __init__(self, stack, http: aiohttp.ClientSession):
        self.stack, self.http, self.headers, self.handoff = stack, http, None, None

    async def act(self, step: dict, channel: str, user: str) -> None:
        url = self.stack.app_url
        if self.headers is None:
            self.headers = await asyncio.to_thread(add_staff, self.stack, f"脚本坐席{uuid.uuid4().hex[:6]}", "agent")
        if self.handoff is None:
            self.handoff = await waiting_handoff(self.stack, channel, user)
            assert self.handoff, f"no waiting hand-off for {channel}:{user}"
            async with self.http.post(f"{url}/admin/console/handoffs/{self.handoff}/claim", headers=self.headers) as resp:
                assert resp.status == 200, await resp.text()
        if "agent" in step:
            async with self.http.post(f"{url}/admin/console/handoffs/{self.handoff}/messages", headers=self.headers,
                                      json={"text": step["agent"]}) as resp:
                assert resp.status == 200, await resp.text()
        if step.get("close"):
            async with self.http.post(f"{url}/admin/console/handoffs/{self.handoff}/close", headers=self.headers) as resp:
                assert resp.status == 200, await resp.text()


@pytest.mark.parametrize(("script", "channel"), list(_cases()))
async def test_scripted_conversation(wechat_stack, script, channel):
    stack, fake = wechat_stack
    async with aiohttp.ClientSession() as http:
        citizen = MiniProgram(stack.app_url, http) if channel == "miniprogram" else \
            Wechat(OfficialAccount(stack.app_url, fake, http))
        await citizen.start()
        agent = Agent(stack, http)
        day = await _booking_day(stack.app_url, http)
        transcript = []
        for turn in script["turns"]:
            if "say" not in turn:
                await agent.act(turn, channel, await citizen.user_id())
                transcript.append(f"[坐席] {turn}")
                continue
            said = _fill(turn["say"], day)
            reply = await (citizen.tells_agent(said) if turn.get("quiet") else citizen.says(said))
            transcript.append(f"> {said}\n{reply}")
            seen = "\n\n".join(transcript)
            for expected in turn.get("has", []):
                assert _fill(expected, day) in reply, f"missing {expected!r}:\n{seen}"
            for unwanted in turn.get("lacks", []):
                assert _fill(unwanted, day) not in reply, f"unwanted {unwanted!r}:\n{seen}"
            if "max_chars" in turn:
                assert len(reply) <= turn["max_chars"], f"{len(reply)} characters:\n{seen}"
