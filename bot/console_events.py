"""What every app worker's agent consoles hear about (a message, a hand-off, a late delivery): one Redis
channel, so a console sees events whichever worker they happened on."""
from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

CONSOLE_CHANNEL = "govhall:console"


async def announce(redis: aioredis.Redis, event: dict[str, Any]) -> None:
    await redis.publish(CONSOLE_CHANNEL, json.dumps(event, ensure_ascii=False, default=str))
