"""The curation page in a real headless Chromium against the running app and Rasa: FAQ search, an edit
refused for a clash (nothing saved), the try box, and the unanswered inbox feeding an FAQ.
(The model panel with a real retrain is exercised in tests/test_model_lifecycle.py.)"""
from __future__ import annotations

import re
import uuid

import aiohttp
import asyncpg
from playwright.async_api import expect

from tests.bot_stack import add_staff
from tests.browser import ARTIFACTS, browser_page, sign_in


async def _faq(http: aiohttp.ClientSession, stack, headers: dict, key: str) -> dict:
    async with http.get(f"{stack.app_url}/admin/curation/faq/{key}", headers=headers) as r:
        assert r.status == 200
        return await r.json()


async def test_curators_edit_faq_try_sentences_and_clear_the_inbox(bot_stack):
    curator = add_staff(bot_stack, f"页面馆员{uuid.uuid4().hex[:4]}", "curator")
    token = curator["Authorization"].split()[1]
    question = f"办证大厅有没有母婴室{uuid.uuid4().hex[:4]}"
    conn = await asyncpg.connect(bot_stack.database_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("INSERT INTO unanswered_question (text, intent, confidence, handled, created_at) "
                           "VALUES ($1, 'nlu_fallback', 0.2, false, now()), ($1, 'nlu_fallback', 0.3, false, now())",
                           question)
    finally:
        await conn.close()
    async with aiohttp.ClientSession() as http:
        parking_before = await _faq(http, bot_stack, curator, "parking")
        async with browser_page() as page:
            await sign_in(page, f"{bot_stack.app_url}/admin/curation", token)
            await page.wait_for_selector("#faqList .item")
            await page.fill("#faqSearch", "停车")
            await page.wait_for_selector("#faqList .item[data-key='parking']")
            assert await page.locator("#faqList .item").count() >= 1

            await page.click("#faqList .item[data-key='parking']")
            # Locators, not wait_for_function: the page's CSP (no eval) stays on in these tests.
            await expect(page.locator("#examples")).to_have_value(re.compile("能停车吗"))
            await page.fill("#examples", (await page.input_value("#examples")) + "\n你们工作时间")
            await page.click("#saveBtn")
            await page.wait_for_selector("#formMsg .error[data-code='example_conflict']")
            clash = await page.inner_text("#formMsg")
            assert "你们工作时间" in clash and "faq/opening_hours" in clash
            assert await _faq(http, bot_stack, curator, "parking") == parking_before

            await page.fill("#tryText", "办护照要什么材料")
            await page.press("#tryText", "Enter")
            await page.wait_for_selector("#tryIntent")
            assert "ask_materials" in await page.inner_text("#tryResult")

            group = page.locator("#inbox .item", has_text=question)
            await group.wait_for()
            assert "2 次" in await group.inner_text()
            await group.locator("select").select_option("parking")
            await group.locator("text=加为该 FAQ 的问法").click()
            await expect(page.locator("#inbox")).not_to_contain_text(question)
            await page.wait_for_selector("#models table")
            assert "服务中" in await page.inner_text("#models")

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "curation.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        parking_after = await _faq(http, bot_stack, curator, "parking")
        assert parking_after["examples"] == parking_before["examples"] + [question]
        async with http.get(f"{bot_stack.app_url}/admin/curation/faq/parking/history", headers=curator) as r:
            history = (await r.json())["history"]
        assert any(h["staff"].startswith("页面馆员") and h["action"] == "update" for h in history)
        # Leave the shared stack's FAQ as the other tests expect it.
        async with http.patch(f"{bot_stack.app_url}/admin/curation/faq/parking", headers=curator,
                              json={"examples": parking_before["examples"]}) as r:
            assert r.status == 200
