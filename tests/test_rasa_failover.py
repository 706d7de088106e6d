"""Several Rasa processes: a conversation goes to its own process, to the next live one while that one
is down, answering 503 or loading a model, and back to its own when it is back. Rasa is played by small
aiohttp servers here (what is under test is the app's routing); tests/test_failover.py kills a real one."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bot import rasa_client
from bot.rasa_client import RasaClient, process_loading_key
from miniprogram_api.redis_client import make_redis
from tests.conftest import REDIS_URL


class FakeRasa:
    """One process: answers the REST channel with its own name, or `status` when set."""

    def __init__(self, name: str):
        self.name, self.received, self.status, self.runner, self.port = name, [], 200, None, 0

    async def start(self) -> None:
        async def webhook(request: web.Request) -> web.Response:
            self.received.append((await request.json())["message"])
            if self.status != 200:
                return web.Response(status=self.status, text="loading")
            return web.json_response([{"recipient_id": "x", "text": self.name}])

        async def status(request: web.Request) -> web.Response:
            return web.json_response({"model_file": f"{self.name}.tar.gz"})

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        app.router.add_get("/status", status)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def two_processes():
    processes = [FakeRasa("甲"), FakeRasa("乙")]
    for p in processes:
        await p.start()
    redis = make_redis(REDIS_URL)
    await redis.flushdb()
    async with aiohttp.ClientSession() as http:
        client = RasaClient(",".join(p.url for p in processes), http, budget=5, retry_delay=0.05, redis=redis)
        yield client, processes
    for p in processes:
        await p.stop()
    await redis.flushdb()
    await redis.aclose()


def sender_of(client: RasaClient, process: FakeRasa) -> str:
    """A conversation whose own process is `process`."""
    return next(s for s in (f"miniprogram:{n}" for n in range(100)) if client.url_for(s) == process.url)


async def answered_by(client: RasaClient, sender: str) -> str:
    return (await client.send(sender, "你好"))[0]["text"]


async def test_a_conversation_keeps_to_its_own_process(two_processes):
    client, (a, b) = two_processes
    assert {client.url_for(f"wechat:user-{n}") for n in range(50)} == {a.url, b.url}
    sender = sender_of(client, a)
    assert [await answered_by(client, sender) for _ in range(3)] == ["甲"] * 3
    assert not b.received


async def test_while_its_process_is_down_the_next_one_answers_and_it_comes_back(two_processes, monkeypatch):
    monkeypatch.setattr(rasa_client, "DOWN_SECONDS", 0.2)
    client, (a, b) = two_processes
    sender = sender_of(client, a)
    await a.stop()
    assert await answered_by(client, sender) == "乙"
    assert await answered_by(client, sender) == "乙"  # passed over at once while marked down
    await a.start()  # the same port
    await asyncio.sleep(0.3)  # past the pause: the conversation's own process is tried again
    assert await answered_by(client, sender) == "甲"
    assert (await client.status())["processes"] == "2/2"


async def test_a_process_answering_503_is_passed_over(two_processes):
    client, (a, b) = two_processes
    a.status = 503
    sender = sender_of(client, a)
    assert await answered_by(client, sender) == "乙"
    assert len(a.received) == 1


async def test_a_process_loading_a_model_gets_no_new_messages(two_processes):
    client, (a, b) = two_processes
    sender = sender_of(client, a)
    await client.redis.set(process_loading_key(a.url), "next.tar.gz")
    assert await answered_by(client, sender) == "乙"
    assert not a.received
    await client.redis.delete(process_loading_key(a.url))
    assert await answered_by(client, sender) == "甲"


async def test_with_every_process_down_the_message_fails_within_its_budget(two_processes):
    client, processes = two_processes
    for p in processes:
        await p.stop()
    client.budget = 0.5
    with pytest.raises(rasa_client.RasaUnavailable):
        await client.send("miniprogram:1", "你好")
    with pytest.raises(rasa_client.RasaUnavailable):
        await client.status()
    for p in processes:
        await p.start()  # the fixture stops them again
