"""Two app workers (APP_WORKERS=2) on PostgreSQL + Redis behind the official account: one worker is killed
while citizens are writing. WeChat retries what got no answer (the same MsgId, as WeChat does) and the
retries reach the other worker: every message is answered — passively or as one customer-service message
— each is recorded once, and the supervisor starts a new worker in place of the dead one."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from tortoise import Tortoise

from bot.conversation import UNAVAILABLE_REPLY
from miniprogram_api.models.conversation import TranscriptMessage
from tests.conftest import REDIS_URL, _use_database, official_account_stack
from tests.wechat_support import CS_PATH, message, new_msg_id, new_openid, reply_fields, signed_params

QUESTIONS = ["办护照要什么材料", "大厅几点上班", "结婚登记要带什么", "身份证丢了怎么补办", "公积金怎么提取", "去大厅能停车吗"]
CITIZENS, MESSAGES_EACH = 12, 3
WECHAT_TIMEOUT, WECHAT_ATTEMPTS = 5.0, 3  # WeChat waits 5 s for a reply and sends a message three times


def workers_of(supervisor: int) -> list[int]:
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture(scope="session")
async def two_workers(tmp_path_factory):
    # The dead worker's turn locks lapse soon, so the retries of its messages are not kept waiting.
    async with official_account_stack(tmp_path_factory.mktemp("two-workers"), REDIS_URL,
                                      {"APP_WORKERS": "2", "TURN_LOCK_SECONDS": "3"}) as pair:
        yield pair


async def test_killing_an_app_worker_loses_no_message(two_workers):
    stack, fake = two_workers
    supervisor = stack.processes[0].pid
    assert len(workers_of(supervisor)) == 2
    citizens = [new_openid() for _ in range(CITIZENS)]
    sent: list[tuple[str, int]] = []
    passive: dict[int, str] = {}
    cs_before = len(fake.sent(CS_PATH))
    half_sent = asyncio.Event()

    async with aiohttp.ClientSession() as http:
        async def wechat_delivers(openid: str, msg_id: int, text: str) -> None:
            xml = message("text", openid, text=text, msg_id=msg_id)
            for _ in range(WECHAT_ATTEMPTS):
                try:
                    async with http.post(stack.app_url + "/wechat", params=signed_params(openid), data=xml.encode(),
                                         timeout=aiohttp.ClientTimeout(total=WECHAT_TIMEOUT)) as resp:
                        body = await resp.text()
                        if resp.status == 200:
                            if body != "success":
                                passive[msg_id] = reply_fields(body)["Content"]
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass  # a connection the dead worker held, or no reply in time: WeChat sends it again

        async def citizen(n: int, openid: str) -> None:
            for m in range(MESSAGES_EACH):
                msg_id = new_msg_id()
                sent.append((openid, msg_id))
                if len(sent) >= CITIZENS * MESSAGES_EACH // 3:
                    half_sent.set()
                await wechat_delivers(openid, msg_id, QUESTIONS[(n + m) % len(QUESTIONS)])

        async def kill_one_worker() -> int:
            await half_sent.wait()
            victim = workers_of(supervisor)[0]
            os.kill(victim, signal.SIGKILL)
            return victim

        *_, victim = await asyncio.gather(*(citizen(n, o) for n, o in enumerate(citizens)), kill_one_worker())

        # The answers that missed WeChat's 5 seconds come as customer-service messages.
        answered_later = Counter()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            answered_later = Counter(p["touser"] for p in fake.sent(CS_PATH)[cs_before:])
            if all(sum(1 for o, i in sent if o == openid and i in passive) + answered_later[openid] >= MESSAGES_EACH
                   for openid in citizens):
                break
            await asyncio.sleep(0.5)

    for openid in citizens:
        got = sum(1 for o, i in sent if o == openid and i in passive) + answered_later[openid]
        assert got == MESSAGES_EACH, (openid, got, answered_later[openid])
    replies = list(passive.values()) + [p["text"]["content"] for p in fake.sent(CS_PATH)[cs_before:]]
    assert not [r for r in replies if UNAVAILABLE_REPLY in r]

    await _use_database(stack.database_url)
    try:
        rows = await TranscriptMessage.filter(role="citizen", message_id__in=[str(i) for _, i in sent]).values_list(
            "message_id", flat=True)
    finally:
        await Tortoise.close_connections()
    assert sorted(rows) == sorted(str(i) for _, i in sent), "a message was recorded twice or not at all"

    # The supervisor replaced the dead worker.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (victim in workers_of(supervisor) or len(workers_of(supervisor)) < 2):
        await asyncio.sleep(0.5)
    assert victim not in workers_of(supervisor) and len(workers_of(supervisor)) == 2
    log = (stack.log_dir / "app.log").read_text()
    assert re.search(rf"worker {victim} ended .*starting another", log)


async def test_a_reply_promised_later_by_a_worker_that_dies_is_sent_by_another(two_workers):
    """Past WeChat's 5 seconds the webhook says "success" and WeChat never sends the message again: the
    answer promised then must come even if the worker that promised it dies before sending it."""
    import redis.asyncio as aioredis

    from bot.wechat.promises import ALIVE_PREFIX, PROMISES

    stack, fake = two_workers
    supervisor, rasa = stack.processes[0].pid, stack.processes[1]
    citizens = [new_openid() for _ in range(8)]
    cs_before = len(fake.sent(CS_PATH))
    async with aiohttp.ClientSession() as http, aioredis.from_url(REDIS_URL, decode_responses=True) as redis:
        async def ask(n: int, openid: str) -> str:
            xml = message("text", openid, text=QUESTIONS[n % len(QUESTIONS)], msg_id=new_msg_id())
            async with http.post(stack.app_url + "/wechat", params=signed_params(openid), data=xml.encode(),
                                 timeout=aiohttp.ClientTimeout(total=WECHAT_TIMEOUT)) as resp:
                return await resp.text()

        os.kill(rasa.pid, signal.SIGSTOP)  # Rasa stalls: every reply misses the budget and is promised
        try:
            said = await asyncio.gather(*(ask(n, o) for n, o in enumerate(citizens)))
            promises = {k: v for k, v in (await redis.hgetall(PROMISES)).items() if k.split(":")[0] in citizens}
            owners = {json.loads(v)["owner"] for v in promises.values()}
            holder = int(await redis.get(ALIVE_PREFIX + sorted(owners)[0]))
            assert holder in workers_of(supervisor)
            os.kill(holder, signal.SIGKILL)
        finally:
            os.kill(rasa.pid, signal.SIGCONT)
        assert said == ["success"] * len(citizens)
        assert len(promises) == len(citizens)

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            later = Counter(p["touser"] for p in fake.sent(CS_PATH)[cs_before:])
            if all(later[o] >= 1 for o in citizens) and not any(
                    k.split(":")[0] in citizens for k in await redis.hkeys(PROMISES)):
                break
            await asyncio.sleep(0.5)
    sent = fake.sent(CS_PATH)[cs_before:]
    assert Counter(p["touser"] for p in sent if p["touser"] in citizens) == Counter(citizens), "an answer was lost or sent twice"
    assert not [p for p in sent if UNAVAILABLE_REPLY in p["text"]["content"]]
