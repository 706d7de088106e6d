"""WeChat's server in front of a running stack, for the end-to-end tests of the official account."""
from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.fake_wechat import FakeWeChat
from tests.wechat_support import AES_KEY, APP_ID, APP_SECRET, CS_PATH, TOKEN, decrypt_reply, encrypted, message, reply_fields, signed_params

WECHAT_ENV = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
              "WECHAT_AES_KEY": AES_KEY, "AGENT_HOURS": "24x7"}


class OfficialAccount:
    """Posts a citizen's message and returns what the citizen sees, whether it came back passively or
    later as a customer-service message."""

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
