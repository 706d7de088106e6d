"""一件事: one materials list for a bundle of items, each material asked for once."""
from __future__ import annotations

from typing import Any

from knowledge.normalize import normalize

_FORM_RANK = {"电子证照": 0, "复印件": 1, "原件": 2, "原件及复印件": 3}


def _merge_form(a: str, b: str) -> str:
    if {a, b} == {"原件", "复印件"}:
        return "原件及复印件"
    return a if _FORM_RANK[a] >= _FORM_RANK[b] else b


def situation_of(item: dict[str, Any], key: str | None) -> dict[str, Any]:
    situations = item["situations"]
    return next((s for s in situations if s["key"] == key), situations[0])


def merge_materials(parts: list[tuple[dict[str, Any], str | None]]) -> list[dict[str, Any]]:
    """`parts`: (item, situation key or None) in bundle order. Same-named materials merge: the most
    copies and the strongest form; required if any item requires it; 容缺/免提交 only if every item allows it."""
    merged: dict[str, dict[str, Any]] = {}
    for item, key in parts:
        for m in situation_of(item, key)["materials"]:
            k = normalize(m["name"])
            if k not in merged:
                merged[k] = {**m, "used_by": [item["code"]], "notes": m.get("notes")}
                continue
            cur = merged[k]
            cur["copies"] = max(cur["copies"], m["copies"])
            cur["form"] = _merge_form(cur["form"], m["form"])
            cur["required"] = cur["required"] or m["required"]
            cur["rongque"] = cur["rongque"] and m["rongque"]
            cur["exempt"] = cur["exempt"] and m["exempt"]
            if item["code"] not in cur["used_by"]:
                cur["used_by"].append(item["code"])
            if m.get("notes") and m["notes"] != cur["notes"]:
                cur["notes"] = "；".join(n for n in (cur["notes"], m["notes"]) if n)
    return list(merged.values())
