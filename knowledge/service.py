"""The knowledge base as the rest of the app sees it: an in-memory snapshot of the stored catalogue
(items, bundles, halls, calendar, search index), refreshed when a new import revision appears.

A city's catalogue takes seconds of CPU to load (11,000 items: ~5 s, most of it the search index), so a
new revision is loaded in the background while the worker goes on answering from the one it has, and the
building happens in a thread: the event loop keeps serving (WeChat waits 5 s for an answer)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import structlog

from knowledge.bundles import merge_materials, situation_of
from knowledge.models import Bundle, Hall, Item
from knowledge.normalize import normalize
from knowledge.search import Hit, SearchEntry, SearchIndex
from knowledge.store import current_revision
from knowledge.workdays import WorkCalendar, load_calendar

log = structlog.get_logger(__name__)
VISITS_TEXT = {0: "全程网办（零跑动）", 1: "最多跑一次"}


def visits_text(visits: int) -> str:
    return VISITS_TEXT.get(visits, f"需到现场{visits}次")


@dataclass(frozen=True)
class Snapshot:
    revision: int
    items: dict[str, dict[str, Any]]
    bundles: dict[str, dict[str, Any]]
    halls: dict[str, dict[str, Any]]
    calendar: WorkCalendar
    index: SearchIndex
    # Each item's item_forms, made once: a city's 11,000 items normalized on every message cost ~0.2 s.
    forms: dict[str, tuple[str, ...]]


def item_forms(item: dict[str, Any]) -> tuple[str, ...]:
    """An item's name and aliases as a citizen's words are compared with them: normalized, two characters
    or more. (Situations' names and keywords — 补领, 第一次 — say how, not what: they name no item.)"""
    return tuple(f for f in (normalize(x) for x in [item["name"], *item.get("aliases", [])]) if len(f) >= 2)


def _item_dict(row: Item, halls: dict[str, dict[str, Any]]) -> dict[str, Any]:
    where = []
    for code in row.halls:
        hall = halls.get(code)
        if hall:
            windows = [{"code": w["code"], "name": w["name"]} for w in hall["windows"] if row.category in w["categories"]]
            where.append({"code": code, "name": hall["name"], "address": hall["address"], "windows": windows})
    return {
        "code": row.code,
        "name": row.name,
        "aliases": row.aliases,
        "department": row.department,
        "category": row.category,
        "service_object": row.service_object,
        "situations": row.situations,
        "process": row.process,
        "time_limit": {"promised_days": row.promised_days, "legal_days": row.legal_days},
        "fee": row.fee,
        "visits": row.visits,
        "visits_text": visits_text(row.visits),
        "online": row.online,
        "conditions": row.conditions or [],
        "proxy": row.proxy,
        "halls": where,
        "phone": row.phone,
    }


async def _load_halls() -> dict[str, dict[str, Any]]:
    halls = {}
    for row in await Hall.all().prefetch_related("windows").order_by("id"):
        halls[row.code] = {
            "code": row.code, "name": row.name, "district": row.district, "address": row.address,
            "transport": row.transport, "parking": row.parking, "phone": row.phone,
            "opening_hours": row.opening_hours, "notes": row.notes, "self_service": row.self_service,
            "services": row.services,
            "windows": [
                {"code": w.code, "name": w.name, "categories": w.categories, "count": w.count}
                for w in sorted(row.windows, key=lambda w: w.code)
            ],
        }
    return halls


ITEMS_PER_QUERY = 500


async def _all_items() -> list[Item]:
    """Page by page: making objects of 11,000 rows holds the event loop for most of a second, and every
    request waits meanwhile; a page holds it for a few dozen milliseconds."""
    rows: list[Item] = []
    while True:
        page = await Item.filter(code__gt=rows[-1].code if rows else "").order_by("code").limit(ITEMS_PER_QUERY)
        rows += page
        if len(page) < ITEMS_PER_QUERY:
            return rows


async def load_snapshot() -> Snapshot:
    revision = await current_revision()
    halls = await _load_halls()
    item_rows = await _all_items()
    bundle_rows = await Bundle.all().order_by("code")
    calendar = await load_calendar()

    def build() -> Snapshot:
        items = {row.code: _item_dict(row, halls) for row in item_rows}
        bundles = {row.code: {"code": row.code, "name": row.name, "aliases": row.aliases, "items": row.items,
                              "notes": row.notes} for row in bundle_rows}
        entries = [SearchEntry.from_item(i) for i in items.values()] + [SearchEntry.from_bundle(b) for b in bundles.values()]
        return Snapshot(revision, items, bundles, halls, calendar, SearchIndex(entries),
                        {code: item_forms(item) for code, item in items.items()})

    return await asyncio.to_thread(build)


class KnowledgeService:
    """One per process. Looks for a new revision at most every `refresh_seconds`, in the background."""

    def __init__(self, refresh_seconds: float = 5.0):
        self.refresh_seconds = refresh_seconds
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()  # one load at a time
        self._refreshing: asyncio.Task | None = None

    async def snapshot(self) -> Snapshot:
        """The snapshot to answer from: the first call waits for it; later ones get the one loaded while a
        newer revision loads."""
        if self._snapshot is None:
            return await self.latest()
        if time.monotonic() - self._checked_at >= self.refresh_seconds and self._refreshing is None:
            self._checked_at = time.monotonic()
            self._refreshing = asyncio.create_task(self._refresh())
        return self._snapshot

    async def latest(self) -> Snapshot:
        """The stored revision, waiting for it to load: for whoever has just changed the catalogue."""
        async with self._lock:
            if self._snapshot is None or await current_revision() != self._snapshot.revision:
                self._snapshot = await load_snapshot()
            self._checked_at = time.monotonic()
            return self._snapshot

    async def close(self) -> None:
        """Stops a load under way (the database is about to close)."""
        if self._refreshing is not None:
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    async def _refresh(self) -> None:
        try:
            await self.latest()
        except Exception:  # the database away for a moment: keep answering from what we have, look again later
            log.warning("knowledge_refresh_failed", exc_info=True)
        finally:
            self._refreshing = None

    async def search(self, query: str, limit: int = 5, kind: str | None = "item") -> list[Hit]:
        return (await self.snapshot()).index.search(query, limit=limit, kind=kind)

    async def item(self, code: str) -> dict[str, Any] | None:
        return (await self.snapshot()).items.get(code.upper())

    async def bundle(self, code: str) -> dict[str, Any] | None:
        snap = await self.snapshot()
        return bundle_view(snap, code) if code.upper() in snap.bundles else None


def bundle_view(snap: Snapshot, code: str) -> dict[str, Any]:
    """A bundle with its items (the named situation of each) and their merged materials."""
    bundle = snap.bundles[code.upper()]
    parts = []
    for ref in bundle["items"]:
        item_code, _, key = ref.partition("/")
        item = snap.items.get(item_code)
        if item is not None:
            parts.append((item, key or None))
    return {
        **bundle,
        "items": [
            {"code": item["code"], "name": item["name"], "situation": situation_of(item, key)["name"]}
            for item, key in parts
        ],
        "materials": merge_materials(parts),
    }
