"""The agent console in a real headless Chromium: the queue, claiming, the transcript, a reply."""
from __future__ import annotations

import uuid

import aiohttp

from tests.browser import ARTIFACTS, browser_page, sign_in
from tests.test_handoff_flow import Chat, add_agent


async def test_console_shows_the_queue_and_the_transcript(bot_stack):
    agent = add_agent(bot_stack, f"页面坐席{uuid.uuid4().hex[:4]}")
    token = agent["Authorization"].split()[1]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot_stack.app_url}/api/v1/auth/dev-login", json={"openid": f"page-{uuid.uuid4().hex[:8]}"}) as r:
            chat = Chat(http, bot_stack.app_url, {"Authorization": "Bearer " + (await r.json())["token"]})
        await chat.say("身份证丢了怎么补办")
        await chat.say("我要找人工客服")
        async with browser_page() as page:
            await sign_in(page, f"{bot_stack.app_url}/admin/console", token)
            await page.wait_for_selector("#waiting .item")
            assert "排队中" in await page.inner_text("body")
            await page.click("#waiting .item >> nth=-1")
            await page.wait_for_selector("#log .citizen")
            log = await page.inner_text("#log")
            assert "身份证丢了怎么补办" in log and "我要找人工客服" in log
            assert "机器人理解" in log
            await page.click("#claimBtn")
            await page.wait_for_selector("#log .agent")
            await page.fill("#reply", "您好，补办身份证请带户口簿原件。")
            await page.click("text=发送")
            # Locators, not wait_for_function: the page's CSP (no eval) stays on in these tests.
            await page.locator("#log", has_text="请带户口簿原件").wait_for()
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "console.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        got = await chat.wait_for("agent")
        assert any("户口簿" in m["text"] for m in got)
    # Signed in once, then a cookie and a one-use WebSocket ticket: the token never reached the access log.
    log = (bot_stack.log_dir / "app.log").read_text(encoding="utf-8")
    assert "/admin/console/ws?ticket=***" in log
    assert token not in log
