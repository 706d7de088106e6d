"""Halls as citizens name them in a sentence or a short reply (the booking form, complaints)."""
from __future__ import annotations

import re
from typing import Any

from knowledge.normalize import normalize
from knowledge.service import Snapshot

_HALL_FILLER = re.compile(r"大厅|办事处|那个|这个|那边|就|去|到|在|的|吧|呀|啊|我|选|要")


def _subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(c in rest for c in short)


def _hall_names(hall: dict[str, Any]) -> set[str]:
    """How citizens name a hall: 云溪市市民服务中心, 市民服务中心, 市民中心; 东湖区政务服务中心, 东湖区, 东湖."""
    name, district = hall["name"], hall["district"]
    bare = name.removeprefix(district)
    names = {name, bare, bare.replace("服务", ""), name.replace("政务服务中心", ""), district, hall["code"].lower()}
    if district.endswith(("区", "县")) and len(district) >= 3:
        names.add(district[:-1])
    return {normalize(n) for n in names if len(n) >= 2}


def hall_in_text(snap: Snapshot, text: str, codes: list[str]) -> str | None:
    """A hall by its name, district, code, or a short form of its name ("市民中心", "东湖"), said alone or
    in a sentence; or the one hall whose name holds a short reply's characters in order. A form that
    several halls share (政务服务中心) names none of them."""
    t = normalize(text)
    names = {code: _hall_names(snap.halls[code]) for code in codes}
    shared = {n for code in codes for n in names[code] if sum(n in names[c] for c in codes) > 1}
    found = [code for code in codes if any(n in t for n in names[code] - shared)]
    if len(found) == 1:
        return found[0]
    short = _HALL_FILLER.sub("", t)
    if len(short) >= 2:
        fits = [c for c in codes if _subsequence(short, normalize(snap.halls[c]["name"]))]
        if len(fits) == 1:
            return fits[0]
    return None
