"""The official account's custom menu and what its CLICK buttons start in the conversation."""
from __future__ import annotations

from typing import Any

GUIDE = "GUIDE"
MY_APPOINTMENTS = "MY_APPOINTMENTS"
PROGRESS = "PROGRESS"
HUMAN = "HUMAN"

# A click starts the same conversation as typing would, through the conversation service. Rasa's
# intent triggers ("/intent") skip NLU, so a button can never be misunderstood.
CLICK_TRIGGERS = {
    GUIDE: "/greet",  # the greeting says what the assistant can answer and asks what to do
    MY_APPOINTMENTS: "/query_appointment",
    PROGRESS: "/query_progress",
    HUMAN: "/request_human",
}

# The national government-service platform; `govhall wechat menu --view-url` points elsewhere.
DEFAULT_VIEW_URL = "https://www.gjzwfw.gov.cn/"


def menu(view_url: str = DEFAULT_VIEW_URL) -> dict[str, Any]:
    """WeChat allows 3 top-level buttons of up to 5 each, so the personal ones share a sub-menu."""
    return {"button": [
        {"type": "click", "name": "办事指南", "key": GUIDE},
        {"name": "我的办事", "sub_button": [
            {"type": "click", "name": "我的预约", "key": MY_APPOINTMENTS},
            {"type": "click", "name": "进度查询", "key": PROGRESS},
            {"type": "view", "name": "网上办事", "url": view_url},
        ]},
        {"type": "click", "name": "人工客服", "key": HUMAN},
    ]}
