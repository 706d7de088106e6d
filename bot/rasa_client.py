"""The app's side of Rasa's HTTP API: the REST channel, NLU parse, status."""
from __future__ import annotations

import asyncio
import re
import time
import zlib
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import structlog

from miniprogram_api.instruments import RASA_ERRORS, RASA_REQUEST_DURATION

log = structlog.get_logger(__name__)
# Set (in Redis, so every app worker sees it) while a model is being put into service. Rasa answers
# nothing while it loads a model; a request that runs out of its budget then keeps waiting while the
# deploy lasts (a slow machine may take minutes), up to LOADING_GRACE more seconds, the deploy's own
# limit, instead of failing or being sent twice.
MODEL_LOADING_KEY = "govhall:model-deploy"
LOADING_GRACE = 900.0


class RasaUnavailable(Exception):
    pass


def endpoint_of(url: str) -> str:
    """The metrics label of a Rasa URL: its path, a sender's id replaced (`/conversations/{sender}/tracker`)."""
    return re.sub(r"^/conversations/[^/]+", "/conversations/{sender}", urlsplit(url).path)


class RasaClient:
    """Rasa answers 503 or refuses connections while it starts or loads a model; calls retry within `budget`.

    `base_url` may list several Rasa processes ("http://a:5005,http://a:5006"): each conversation
    always goes to the same one (by a hash of its sender id), so each process keeps its own trackers
    in memory and the processes together use every core."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, budget: float = 10.0, retry_delay: float = 0.25,
                 redis: Any = None, token: str = ""):
        self.base_urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        self.base_url = self.base_urls[0]
        self.session = session
        self.budget = budget
        self.retry_delay = retry_delay
        self.redis = redis  # where a deploy announces itself (MODEL_LOADING_KEY); None: never extend a budget
        # Rasa's --auth-token (RASA_TOKEN): Rasa reads it from the query string only.
        self.params = {"token": token} if token else {}

    async def model_loading(self) -> bool:
        if self.redis is None:
            return False
        try:
            return bool(await self.redis.exists(MODEL_LOADING_KEY))
        except Exception:  # noqa: BLE001 — without Redis, behave as if no deploy were running
            return False

    async def _request(self, url: str, payload: Any) -> tuple[int, Any]:
        with RASA_REQUEST_DURATION.labels(endpoint_of(url)).time():  # a request cut off by its budget too
            async with self.session.post(url, json=payload, params=self.params) as resp:
                return resp.status, (await resp.json() if resp.status == 200 else (await resp.text())[:200])

    async def _within(self, url: str, payload: Any, remaining: float) -> tuple[int, Any]:
        """One request, given `remaining` seconds, and more for as long as a model is loading (the same
        request: Rasa has it queued, so sending it again would answer the citizen twice). After the load
        the request gets `remaining` seconds again, since Rasa then works through what queued behind it."""
        request = asyncio.ensure_future(self._request(url, payload))
        started = time.monotonic()
        deadline, hard_deadline = started + remaining, started + remaining + LOADING_GRACE
        try:
            while True:
                now = time.monotonic()
                done, _ = await asyncio.wait({request}, timeout=max(0.0, min(deadline, now + 1.0) - now))
                if done:
                    return request.result()
                now = time.monotonic()
                if now >= hard_deadline:
                    raise TimeoutError()
                if await self.model_loading():
                    log.info("rasa_waiting_for_model_load", url=url)
                    deadline = max(deadline, min(now + remaining, hard_deadline))
                elif now >= deadline:
                    raise TimeoutError()
        finally:
            if not request.done():
                request.cancel()

    def url_for(self, sender: str) -> str:
        return self.base_urls[zlib.crc32(sender.encode()) % len(self.base_urls)]

    async def _post(self, path: str, payload: Any, budget: float | None = None, base: str | None = None) -> Any:
        deadline = time.monotonic() + (self.budget if budget is None else budget)
        last_error = "no attempt"
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RasaUnavailable(last_error)
            try:
                status, body = await self._within(f"{base or self.base_url}{path}", payload, remaining)
                if status == 200:
                    return body
                last_error = f"HTTP {status}: {body}"
                RASA_ERRORS.labels("status").inc()
                if status not in (502, 503, 504):
                    raise RasaUnavailable(last_error)
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                RASA_ERRORS.labels("timeout" if isinstance(exc, asyncio.TimeoutError) else "unavailable").inc()
            log.warning("rasa_retry", path=path, error=last_error)
            await asyncio.sleep(min(self.retry_delay, max(0.0, deadline - time.monotonic())))

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None,
                   budget: float | None = None) -> list[dict[str, Any]]:
        payload = {"sender": sender, "message": text, "metadata": metadata or {}}
        return await self._post("/webhooks/rest/webhook", payload, budget, self.url_for(sender)) or []

    async def reset(self, sender: str, budget: float | None = None) -> None:
        """Starts the sender's tracker afresh (slots, active form); its history stays readable."""
        await self._post(f"/conversations/{quote(sender, safe='')}/tracker/events?include_events=NONE",
                         [{"event": "restart"}], budget, self.url_for(sender))

    async def tracker_events(self, sender: str) -> list[dict[str, Any]]:
        with RASA_REQUEST_DURATION.labels("/conversations/{sender}/tracker").time():
            async with self.session.get(f"{self.url_for(sender)}/conversations/{quote(sender, safe='')}/tracker?include_events=ALL",
                                        params=self.params, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                resp.raise_for_status()
                return (await resp.json()).get("events") or []

    async def parse(self, text: str, budget: float | None = None) -> dict[str, Any]:
        return await self._post("/model/parse", {"text": text}, budget)

    async def status(self) -> dict[str, Any]:
        with RASA_REQUEST_DURATION.labels("/status").time():
            async with self.session.get(f"{self.base_url}/status", params=self.params, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                resp.raise_for_status()
                return await resp.json()
