"""Answers promised "later" outlive the app worker that promised them.

Past WeChat's 5 seconds the webhook answers "success" and promises the reply as a customer-service
message; WeChat then never sends that message again. If the worker holding the promise dies before
keeping it, only another worker can: each promise is recorded in Redis with its owner, owners keep a
heartbeat while they live, and a live worker takes over the promises of an owner whose heartbeat
stopped (claimed once, so two workers never answer the same message)."""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

PROMISES = "govhall:wechat:promises"  # hash: "<openid>:<message id>" -> the promise as JSON
ALIVE_PREFIX = "govhall:wechat:worker-alive:"  # + owner: set while that worker lives
CLAIM_PREFIX = "govhall:wechat:promise-claim:"  # + promise key: the one worker taking it over
BEAT_SECONDS = 2.0
ALIVE_SECONDS = 6  # three missed beats: the owner is gone


@dataclass(frozen=True)
class Promise:
    openid: str
    text: str
    message_id: str

    @property
    def key(self) -> str:
        return f"{self.openid}:{self.message_id}"


class Promises:
    def __init__(self, redis: aioredis.Redis):
        self.redis = redis
        self.owner = secrets.token_hex(8)  # this worker, for as long as it lives
        self.held: set[str] = set()  # the promises this worker has yet to keep: it beats while there are any

    async def beat(self) -> None:
        # The process id, for an operator (or a test) asking which worker holds a promise.
        if self.held:
            await self.redis.set(ALIVE_PREFIX + self.owner, str(os.getpid()), ex=ALIVE_SECONDS)

    async def make(self, promise: Promise) -> None:
        self.held.add(promise.key)
        await self.beat()
        await self.redis.hset(PROMISES, promise.key, json.dumps(
            {"openid": promise.openid, "text": promise.text, "message_id": promise.message_id, "owner": self.owner},
            ensure_ascii=False))

    async def kept(self, promise: Promise) -> None:
        await self.redis.hdel(PROMISES, promise.key)
        self.held.discard(promise.key)

    async def orphaned(self) -> list[Promise]:
        """Promises whose owner stopped beating, now this worker's (each to exactly one worker)."""
        held = {key: json.loads(value) for key, value in (await self.redis.hgetall(PROMISES)).items()}
        owners = sorted({p["owner"] for p in held.values()} - {self.owner})
        if not owners:
            return []
        alive = dict(zip(owners, await self.redis.mget([ALIVE_PREFIX + o for o in owners]), strict=True))
        taken = []
        for key, p in held.items():
            if p["owner"] == self.owner or alive.get(p["owner"]):
                continue
            if await self.redis.set(CLAIM_PREFIX + str(key), self.owner, nx=True, ex=60):
                promise = Promise(p["openid"], p["text"], p["message_id"])
                await self.make(promise)
                taken.append(promise)
        return taken
