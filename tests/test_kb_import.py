"""Importing the catalogue into the database, on PostgreSQL and on SQLite."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import yaml

from knowledge.loader import CatalogueInvalid
from knowledge.models import Bundle, CalendarDay, Hall, HallWindow, Item, KbImport
from knowledge.service import KnowledgeService
from knowledge.store import import_path
from tests.conftest import KB_PATH
from tests.kb_fixture import catalogue_docs, write_catalogue

pytestmark = pytest.mark.both_databases


async def table_state() -> dict:
    return {
        "items": sorted((i.code, i.content_hash, i.updated_at) for i in await Item.all()),
        "bundles": sorted((b.code, b.content_hash) for b in await Bundle.all()),
        "halls": sorted((h.code, h.content_hash) for h in await Hall.all()),
        "windows": await HallWindow.all().count(),
        "days": await CalendarDay.all().count(),
        "imports": await KbImport.all().count(),
    }


async def test_demo_catalogue_imports_and_reimport_changes_nothing(database_url):
    first = await import_path(KB_PATH)
    assert first.created["items"] >= 45 and first.created["halls"] == 3 and first.revision == 1
    before = await table_state()
    again = await import_path(KB_PATH)
    assert not again.changed and again.revision is None
    assert again.unchanged["items"] == first.created["items"]
    assert await table_state() == before


async def test_a_changed_file_updates_its_item_in_place(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    row = await Item.get(code="GA-001")
    docs = catalogue_docs()
    docs["items/public_security.yaml"]["items"][0]["time_limit"]["promised_days"] = 7
    write_catalogue(tmp_path, docs)
    summary = await import_path(tmp_path)
    assert summary.updated == {"items": 1}
    assert summary.unchanged["items"] == 1
    updated = await Item.get(code="GA-001")
    assert updated.id == row.id and updated.promised_days == 7
    assert await Item.all().count() == 2


async def test_a_bad_file_stores_nothing_of_the_import(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    before = await table_state()
    docs = catalogue_docs()
    docs["items/public_security.yaml"]["items"][0]["time_limit"]["promised_days"] = 3  # a good change...
    docs["items/public_security.yaml"]["items"][1]["fee"] = {"free": False}  # ...beside a bad one
    docs["halls.yaml"]["halls"][0]["name"] = "新名字"
    write_catalogue(tmp_path, docs)
    with pytest.raises(CatalogueInvalid) as exc:
        await import_path(tmp_path)
    assert any("GA-002: fee" in str(p) for p in exc.value.problems)
    assert await table_state() == before
    assert (await Item.get(code="GA-001")).promised_days == 15


async def test_hall_change_replaces_its_windows(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    docs = catalogue_docs()
    docs["halls.yaml"]["halls"][0]["windows"][0]["count"] = 9
    write_catalogue(tmp_path, docs)
    summary = await import_path(tmp_path)
    assert summary.updated == {"halls": 1}
    windows = await HallWindow.all()
    assert [(w.code, w.count) for w in windows] == [("A", 9)]


async def test_one_file_imports_against_what_is_stored(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    docs = catalogue_docs()
    docs["items/public_security.yaml"]["items"][1]["name"] = "临时居民身份证申领（加急）"
    single = tmp_path / "single" / "items.yaml"
    single.parent.mkdir()
    single.write_text(yaml.safe_dump(docs["items/public_security.yaml"], allow_unicode=True), encoding="utf-8")
    summary = await import_path(single)
    assert summary.updated == {"items": 2}  # the source file changed for both, the content for one
    assert (await Item.get(code="GA-002")).name == "临时居民身份证申领（加急）"
    assert await Hall.all().count() == 1


async def test_calendar_rows_follow_the_holiday_file(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    days = {d.day: d.is_workday for d in await CalendarDay.all()}
    assert days[dt.date(2026, 10, 1)] is False and days[dt.date(2026, 10, 10)] is True
    assert len(days) == 9


async def test_service_answers_from_what_it_has_while_a_new_revision_loads_then_from_the_new_one(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    service = KnowledgeService(refresh_seconds=0)
    assert (await service.item("GA-001"))["time_limit"]["promised_days"] == 15
    docs = catalogue_docs()
    docs["items/public_security.yaml"]["items"][0]["time_limit"]["promised_days"] = 5
    write_catalogue(tmp_path, docs)
    await import_path(tmp_path)
    # A city's catalogue takes seconds to load: the worker answers meanwhile, from the revision it has.
    assert (await service.item("GA-001"))["time_limit"]["promised_days"] == 15
    for _ in range(600):
        if (await service.item("GA-001"))["time_limit"]["promised_days"] == 5:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the new revision never replaced the old one")
    await service.close()


async def test_whoever_changed_the_catalogue_can_wait_for_the_new_revision(database_url, tmp_path):
    write_catalogue(tmp_path)
    await import_path(tmp_path)
    service = KnowledgeService()
    assert (await service.item("GA-001"))["time_limit"]["promised_days"] == 15
    docs = catalogue_docs()
    docs["items/public_security.yaml"]["items"][0]["time_limit"]["promised_days"] = 5
    write_catalogue(tmp_path, docs)
    await import_path(tmp_path)
    assert (await service.latest()).items["GA-001"]["time_limit"]["promised_days"] == 5
    assert (await service.item("GA-001"))["time_limit"]["promised_days"] == 5


async def test_the_snapshot_reads_every_item_page_by_page(database_url, tmp_path, monkeypatch):
    import knowledge.service

    write_catalogue(tmp_path)
    await import_path(tmp_path)
    stored = sorted(await Item.all().values_list("code", flat=True))
    monkeypatch.setattr(knowledge.service, "ITEMS_PER_QUERY", 1)  # full pages, then an empty one
    assert len(stored) > 1 and sorted((await KnowledgeService().snapshot()).items) == stored
