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
# Set for one Rasa process while the deploy loads a model into it (one process at a time): conversations
# go to the others meanwhile, when there are others.
PROCESS_LOADING_PREFIX = "govhall:rasa-loading:"
# A process that refused a connection or answered 502/503/504 is passed over this long, then tried again:
# its conversations go back to it once it is back.
DOWN_SECONDS = 5.0


class RasaUnavailable(Exception):
    pass


def endpoint_of(url: str) -> str:
    """The metrics label of a Rasa URL: its path, a sender's id replaced (`/conversations/{sender}/tracker`)."""
    return re.sub(r"^/conversations/[^/]+", "/conversations/{sender}", urlsplit(url).path)


def process_loading_key(base_url: str) -> str:
    return PROCESS_LOADING_PREFIX + base_url


class RasaClient:
    """Rasa answers 503 or refuses connections while it starts or loads a model; calls retry within `budget`.

    `base_url` may list several Rasa processes ("http://a:5005,http://a:5006"): each conversation goes
    to its own one (by a hash of its sender id), so the processes together use every core. When that
    process is down or loading a model, the conversation goes to the next live one and comes back when
    it is back. With trackers in Redis every process continues the conversation in context; with the
    embedded in-memory store the stand-in starts it afresh (a reply, not "系统正忙")."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, budget: float = 10.0, retry_delay: float = 0.25,
                 redis: Any = None, token: str = ""):
        self.base_urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        self.session = session
        self.budget = budget
        self.retry_delay = retry_delay
        self.redis = redis  # where a deploy announces itself (MODEL_LOADING_KEY); None: never extend a budget
        # Rasa's --auth-token (RASA_TOKEN): Rasa reads it from the query string only.
        self.params = {"token": token} if token else {}
        self.down_until: dict[str, float] = {}  # this worker's view of which processes failed lately

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
        """The conversation's own process."""
        return self.route(sender)[0]

    def route(self, sender: str) -> list[str]:
        """The processes in the order this conversation tries them: its own first, then the ones after it."""
        first = zlib.crc32(sender.encode()) % len(self.base_urls)
        return self.base_urls[first:] + self.base_urls[:first]

    async def _loading(self, urls: list[str]) -> set[str]:
        if self.redis is None or len(urls) < 2:
            return set()
        try:
            marks = await self.redis.mget([process_loading_key(u) for u in urls])
        except Exception:  # noqa: BLE001 — without Redis, no process is known to be loading
            return set()
        return {u for u, mark in zip(urls, marks, strict=True) if mark}

    async def live_route(self, sender: str) -> list[str]:
        """`route` without the processes that are loading a model or failed within DOWN_SECONDS — unless
        that leaves none: then every one, in order, since waiting beats giving up."""
        order = self.route(sender)
        loading, now = await self._loading(order), time.monotonic()
        live = [u for u in order if u not in loading and self.down_until.get(u, 0.0) <= now]
        return live or [u for u in order if u not in loading] or order

    def _failed(self, url: str, error: str) -> None:
        self.down_until[url] = time.monotonic() + DOWN_SECONDS
        if len(self.base_urls) > 1:
            log.warning("rasa_process_passed_over", rasa=url, seconds=DOWN_SECONDS, error=error[:200])

    async def _post(self, path: str, payload: Any, budget: float | None = None, sender: str = "") -> Any:
        """`sender` picks the process (see `route`); a process that refuses or answers 502/503/504 is
        passed over at once for the next one, and the same one is tried again only after a pause."""
        deadline = time.monotonic() + (self.budget if budget is None else budget)
        last_error = "no attempt"
        tried: set[str] = set()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RasaUnavailable(last_error)
            route = await self.live_route(sender)
            base = next((u for u in route if u not in tried), None)
            if base is None:  # every live process failed once: pause, then go round again
                tried.clear()
                log.warning("rasa_retry", path=path, error=last_error)
                await asyncio.sleep(min(self.retry_delay, max(0.0, deadline - time.monotonic())))
                continue
            tried.add(base)
            try:
                status, body = await self._within(f"{base}{path}", payload, remaining)
                if status == 200:
                    self.down_until.pop(base, None)
                    return body
                last_error = f"HTTP {status}: {body}"
                RASA_ERRORS.labels("status").inc()
                if status not in (502, 503, 504):
                    raise RasaUnavailable(last_error)
                self._failed(base, last_error)
            except TimeoutError as exc:
                # Slow is not down: the request may still be answered, so it is never sent to another.
                RASA_ERRORS.labels("timeout").inc()
                raise RasaUnavailable(f"TimeoutError: {exc}") from exc
            except aiohttp.ClientConnectionError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                RASA_ERRORS.labels("unavailable").inc()
                self._failed(base, last_error)

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None,
                   budget: float | None = None) -> list[dict[str, Any]]:
        payload = {"sender": sender, "message": text, "metadata": metadata or {}}
        return await self._post("/webhooks/rest/webhook", payload, budget, sender) or []

    async def reset(self, sender: str, budget: float | None = None) -> None:
        """Starts the sender's tracker afresh (slots, active form); its history stays readable."""
        await self._post(f"/conversations/{quote(sender, safe='')}/tracker/events?include_events=NONE",
                         [{"event": "restart"}], budget, sender)

    async def tracker_events(self, sender: str) -> list[dict[str, Any]]:
        base = (await self.live_route(sender))[0]
        with RASA_REQUEST_DURATION.labels("/conversations/{sender}/tracker").time():
            async with self.session.get(f"{base}/conversations/{quote(sender, safe='')}/tracker?include_events=ALL",
                                        params=self.params, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                resp.raise_for_status()
                return (await resp.json()).get("events") or []

    async def parse(self, text: str, budget: float | None = None) -> dict[str, Any]:
        return await self._post("/model/parse", {"text": text}, budget)

    async def statuses(self, timeout: float = 2.0) -> dict[str, dict[str, Any] | None]:
        """Each process's /status, in the order of `base_urls`, or None for one that does not answer."""
        async def one(base: str) -> dict[str, Any] | None:
            try:
                with RASA_REQUEST_DURATION.labels("/status").time():
                    async with self.session.get(f"{base}/status", params=self.params,
                                                timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                        resp.raise_for_status()
                        return await resp.json()
            except (aiohttp.ClientError, TimeoutError, ValueError):
                return None

        return dict(zip(self.base_urls, await asyncio.gather(*map(one, self.base_urls)), strict=True))

    async def status(self) -> dict[str, Any]:
        """The first live process's status, and how many of the processes answer ("2/2")."""
        states = await self.statuses()
        live = [state for state in states.values() if state]
        if not live:
            raise RasaUnavailable("no Rasa process answers")
        return {**live[0], "processes": f"{len(live)}/{len(states)}"}
