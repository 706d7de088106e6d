"""Two real Rasa processes with trackers in Redis: when the process a citizen's conversation goes to is
killed in the middle of the conversation, the next message is answered by the other one, in context (the
open "which situation?" question and the item talked about); the process comes back and the
conversation goes on. /healthz shows the loss as "degraded" meanwhile."""
from __future__ import annotations

import os
import signal
import uuid

import aiohttp

from bot.conversation import UNAVAILABLE_REPLY
from bot.rasa_client import RasaClient
from knowledge.bundles import situation_of
from knowledge.loader import load_catalogue
from tests.bot_stack import restart_rasa
from tests.conftest import KB_PATH

CATALOGUE = load_catalogue(KB_PATH)


def item(code: str) -> dict:
    return CATALOGUE.items[code][0].model_dump(mode="json")


async def test_a_rasa_process_killed_mid_conversation_loses_nothing_of_it(lifecycle_stack):
    stack = lifecycle_stack
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        async with http.post(f"{stack.app_url}/api/v1/auth/dev-login", json={"openid": f"fo-{uuid.uuid4().hex[:8]}"}) as r:
            login = await r.json()
        citizen = {"Authorization": "Bearer " + login["token"]}

        async def ask(text: str) -> str:
            async with http.post(f"{stack.app_url}/api/v1/chat/messages", json={"text": text}, headers=citizen) as r:
                assert r.status == 200, await r.text()
                replies = [m["text"] for m in (await r.json())["messages"] if m["role"] == "bot"]
            assert replies and UNAVAILABLE_REPLY not in replies, replies
            return "\n".join(replies)

        async def health() -> dict:
            async with http.get(f"{stack.app_url}/healthz") as r:
                return await r.json()

        id_card = item("GA-001")
        asked = await ask("办身份证需要什么材料")
        assert all(s["name"] in asked for s in id_card["situations"]), asked

        urls = stack.rasa_url.split(",")
        own = urls.index(RasaClient(stack.rasa_url, http).url_for(f"miniprogram:{login['citizen']['id']}"))
        os.kill(stack.processes[1 + own].pid, signal.SIGKILL)
        stack.processes[1 + own].wait(timeout=30)

        # The answer to the open question: the other process has the conversation's state from Redis.
        keys = [s["key"] for s in id_card["situations"]]
        answer = await ask(f"第{'一二三四'[keys.index('loss')]}个")
        assert id_card["name"] in answer
        assert all(m["name"] in answer for m in situation_of(id_card, "loss")["materials"]), answer
        assert (await health())["status"] == "degraded"
        assert (await health())["rasa"]["processes"] == "1/2"

        await restart_rasa(stack, own)
        follow_up = await ask("要多久")  # the item talked about before the loss is still the subject
        assert id_card["name"] in follow_up and str(id_card["time_limit"]["promised_days"]) in follow_up
        state = await health()
        assert state["status"] == "ok" and state["rasa"]["processes"] == "2/2", state
