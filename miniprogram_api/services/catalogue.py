"""Finding an item and the situation someone chose in it, one way for the API, the console and the bot."""
from __future__ import annotations

from typing import Any

from knowledge.service import Snapshot
from miniprogram_api.errors import NotFound


def item_or_raise(snap: Snapshot, code: str, field: str = "item_code") -> dict[str, Any]:
    """The item with this code; `field` is the name the caller knows the code by, for the error."""
    item = snap.items.get(code.strip().upper())
    if item is None:
        raise NotFound("item_not_found", f"没有找到编码为 {code} 的事项", {field: "没有这个事项编码"})
    return item


def situation_choices(item: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": s["key"], "name": s["name"]} for s in item["situations"]]


def chosen_situation(item: dict[str, Any], key: str | None) -> dict[str, Any] | None:
    """The situation `key` names. Without a key: the only one, or None when there are several — the
    caller then shows them to choose from, as the bot asks; never a guess at the first."""
    situations = item["situations"]
    key = (key or "").strip()
    if not key:
        return situations[0] if len(situations) == 1 else None
    found = next((s for s in situations if s["key"] == key), None)
    if found is None:
        raise NotFound("situation_not_found", "没有这种办理情形",
                       {"situation": "可选：" + "、".join(s["key"] for s in situations)})
    return found
