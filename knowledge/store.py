"""Writes a validated catalogue into the database, idempotently: unchanged entries are not touched,
changed ones are updated in place, and only a run that changed something becomes a new revision."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from tortoise.transactions import in_transaction

from knowledge.loader import Catalogue, KnownRefs, load_catalogue
from knowledge.models import Bundle, CalendarDay, Hall, HallWindow, Item, KbImport
from knowledge.schema import HallDoc, ItemDoc, YearDoc


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    revision: int | None = None

    def count(self, bucket: str, kind: str) -> None:
        counts = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "revision": self.revision}


def content_hash(doc: BaseModel) -> str:
    canonical = json.dumps(doc.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _item_fields(doc: ItemDoc) -> dict[str, Any]:
    data = doc.model_dump(mode="json")
    limit = data.pop("time_limit")
    data.pop("code")
    return {**data, "promised_days": limit["promised_days"], "legal_days": limit["legal_days"]}


def _hall_fields(doc: HallDoc) -> dict[str, Any]:
    data = doc.model_dump(mode="json")
    data.pop("code")
    data.pop("windows")
    return data


async def known_refs() -> KnownRefs:
    halls: dict[str, set[str]] = {}
    for hall in await Hall.all().prefetch_related("windows"):
        halls[hall.code] = {c for w in hall.windows for c in w.categories}
    return KnownRefs(
        item_situations={i.code: {s["key"] for s in i.situations} for i in await Item.all()},
        hall_categories=halls,
    )


async def _upsert(model: type, code: str, values: dict[str, Any], digest: str, file: str, kind: str, summary: ImportSummary):
    row = await model.get_or_none(code=code)
    if row is None:
        row = await model.create(code=code, content_hash=digest, source_file=file, **values)
        summary.count("created", kind)
        return row, True
    if row.content_hash == digest and row.source_file == file:
        summary.count("unchanged", kind)
        return row, False
    await row.update_from_dict({**values, "content_hash": digest, "source_file": file}).save()
    summary.count("updated", kind)
    return row, True


async def _store_hall(doc: HallDoc, file: str, summary: ImportSummary) -> None:
    hall, changed = await _upsert(Hall, doc.code, _hall_fields(doc), content_hash(doc), file, "halls", summary)
    if changed:
        # Windows belong to their hall's document: replaced together, keyed by (hall, code).
        await HallWindow.filter(hall=hall).delete()
        for w in doc.windows:
            await HallWindow.create(hall=hall, code=w.code, name=w.name, categories=list(w.categories), count=w.count)


def _calendar_rows(doc: YearDoc) -> set[tuple[dt.date, bool, str]]:
    rows = {(wd.date, True, wd.for_) for wd in doc.workdays}
    for rng in doc.holidays:
        start, end = rng.days
        rows |= {(start + dt.timedelta(days=n), False, rng.name) for n in range((end - start).days + 1)}
    return rows


async def _store_year(doc: YearDoc, summary: ImportSummary) -> None:
    wanted = _calendar_rows(doc)
    existing = {(r.day, r.is_workday, r.name) for r in await CalendarDay.filter(year=doc.year)}
    if wanted == existing:
        summary.count("unchanged", "years")
        return
    summary.count("updated" if existing else "created", "years")
    await CalendarDay.filter(year=doc.year).delete()
    await CalendarDay.bulk_create([CalendarDay(day=d, is_workday=w, name=n, year=doc.year) for d, w, n in sorted(wanted)])


async def store_catalogue(cat: Catalogue, source: str) -> ImportSummary:
    summary = ImportSummary()
    async with in_transaction():
        for _code, (doc, file) in sorted(cat.halls.items()):
            await _store_hall(doc, file, summary)
        for code, (doc, file) in sorted(cat.items.items()):
            await _upsert(Item, code, _item_fields(doc), content_hash(doc), file, "items", summary)
        for code, (doc, file) in sorted(cat.bundles.items()):
            values = doc.model_dump(mode="json", exclude={"code"})
            await _upsert(Bundle, code, values, content_hash(doc), file, "bundles", summary)
        for _year, (doc, _) in sorted(cat.years.items()):
            await _store_year(doc, summary)
        if summary.changed:
            record = await KbImport.create(source=source, summary=summary.as_dict())
            summary.revision = record.id
    return summary


async def import_path(path: Path) -> ImportSummary:
    """Validates everything under `path` against itself and what is stored, then stores it; raises CatalogueInvalid."""
    catalogue = load_catalogue(path, await known_refs())
    return await store_catalogue(catalogue, str(path))


async def current_revision() -> int:
    last = await KbImport.all().order_by("-id").first()
    return last.id if last else 0
