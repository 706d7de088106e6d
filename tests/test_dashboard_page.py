"""The hall manager's dashboard in headless Chromium: signed in with a manager's token, it shows the
period's and today's figures, draws its charts with the ECharts the app serves, and exports CSV."""
from __future__ import annotations

from playwright.async_api import expect

from tests.api_helpers import staff_headers
from tests.browser import ARTIFACTS, browser_page, sign_in
from tests.test_stats import figures  # noqa: F401  (the fixture of known counts)


async def test_a_manager_reads_the_month_at_a_glance_and_exports_a_table(api, figures):  # noqa: F811
    token = figures["Authorization"].removeprefix("Bearer ")
    async with browser_page(1400, 1000) as page:
        await sign_in(page, str(api.make_url("/admin/dashboard")), token)
        # Without dates: the 30 days up to the server's today (the tests' clock: 2026-11-24).
        await expect(page.locator("body")).to_have_attribute("data-loaded", "2026-10-26/2026-11-24")
        await expect(page.locator("#todayDate")).to_have_text("2026-11-24")
        await page.fill("#from", "2026-11-01")
        await page.fill("#to", "2026-11-30")
        await page.click("#apply")
        await expect(page.locator("body")).to_have_attribute("data-loaded", "2026-11-01/2026-11-30")
        period = page.locator("#period")
        await expect(period.locator(".card", has_text="咨询消息")).to_contain_text("机器人答复 6 · 转人工 2")
        await expect(period.locator(".card", has_text="机器人未答率")).to_contain_text("28.6%")
        await expect(period.locator(".card", has_text="号源利用率")).to_contain_text("60.0%")
        await expect(period.locator(".card", has_text="超期办件")).to_contain_text("2")
        await expect(page.locator("#tableOverdue")).to_contain_text("结婚登记")
        await expect(page.locator("#tableComplaints")).to_contain_text("服务态度")
        for chart in ("chartQuestions", "chartItems", "chartRatings", "chartWaits", "chartSeats", "chartNoShow"):
            await expect(page.locator(f"#{chart} canvas")).to_have_count(1)
        href = await page.locator("a[data-table=questions]").get_attribute("href")
        assert "from=2026-11-01" in href and "to=2026-11-30" in href
        csv = await page.request.get(str(api.make_url(href)))  # the page's session cookie, no token
        assert csv.status == 200 and "2026-11-03,miniprogram,5,3,2" in await csv.text()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000


async def test_an_agent_is_told_the_dashboard_is_not_theirs(api):
    token = (await staff_headers("agent"))["Authorization"].removeprefix("Bearer ")
    async with browser_page() as page:
        await sign_in(page, str(api.make_url("/admin/dashboard")), token)
        await expect(page.locator("#msg .error")).to_be_visible()
