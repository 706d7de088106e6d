"""`govhall wechat menu` publishes the custom menu through the WeChat API (the fake here)."""
from __future__ import annotations

import asyncio
import os
import sys

from bot.wechat.menu import GUIDE, HUMAN, MY_APPOINTMENTS, PROGRESS
from tests.conftest import ROOT

MENU_PATH = "/cgi-bin/menu/create"


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    # Not subprocess.run: the fake WeChat lives on this test's event loop and must keep answering.
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "miniprogram_api.cli", *args, cwd=ROOT,
                                                env={k: v for k, v in {**os.environ, **env}.items()
                                                     if k != "REDIS_URL"},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


def buttons(menu: dict) -> list[dict]:
    return [b for top in menu["button"] for b in (top.get("sub_button") or [top])]


async def test_menu_is_published(fake_wechat):
    env = {"WECHAT_APP_ID": "wx-official", "WECHAT_APP_SECRET": "oa-secret", "WECHAT_API_BASE": fake_wechat.url}
    code, out, err = await run_cli("wechat", "menu", "--view-url", "https://zwfw.example.gov.cn/", env=env)
    assert code == 0, err
    assert "menu published" in out
    [menu] = fake_wechat.sent(MENU_PATH)
    assert len(menu["button"]) <= 3 and all(len(b.get("sub_button", [])) <= 5 for b in menu["button"])
    clicks = {b["name"]: b["key"] for b in buttons(menu) if b["type"] == "click"}
    assert clicks == {"办事指南": GUIDE, "我的预约": MY_APPOINTMENTS, "进度查询": PROGRESS, "人工客服": HUMAN}
    assert [b["url"] for b in buttons(menu) if b["type"] == "view"] == ["https://zwfw.example.gov.cn/"]


async def test_menu_refused_by_wechat_fails_with_the_error(fake_wechat):
    fake_wechat.fail_next(MENU_PATH, 40018)  # invalid button name size
    env = {"WECHAT_APP_ID": "wx-official", "WECHAT_APP_SECRET": "oa-secret", "WECHAT_API_BASE": fake_wechat.url}
    code, _, err = await run_cli("wechat", "menu", env=env)
    assert code == 1 and "40018" in err


async def test_menu_needs_the_account(fake_wechat):
    code, _, err = await run_cli("wechat", "menu", env={"WECHAT_APP_ID": "", "WECHAT_APP_SECRET": ""})
    assert code == 2 and "WECHAT_APP_ID" in err
