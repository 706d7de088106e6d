"""Headless Debian Chromium for the page tests (scripts/browser.sh installs it; nothing is downloaded)."""
from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@asynccontextmanager
async def browser_page(width: int = 1400, height: int = 900):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            yield page
        finally:
            await browser.close()


async def sign_in(page, url: str, token: str) -> None:
    """Opens a staff page and signs in as staff do: the token typed into the page once, never in a URL."""
    await page.goto(url)
    await page.wait_for_selector("#login:not([hidden])")
    await page.fill("#token", token)
    await page.click("#login button")
    await page.wait_for_selector("#app:not([hidden])")
    assert token not in page.url
