"""Days and times as citizens say them: 明天, 后天, 下周三, 11月28号, 28号; 上午, 下午三点, 14:30."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from knowledge.normalize import normalize

_CN = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
       "日": 7, "天": 7}
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_WEEKDAY = re.compile(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_MONTH_DAY = re.compile(r"(?:(\d{1,2})月)?(\d{1,2})(?:号|日)")
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十]+")


def _cn_to_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)
    return _CN[text] if len(text) == 1 else None


def _digits(text: str) -> str:
    # 十一月二十八号 → 11月28号, so one pattern reads both ways of writing numbers
    return _CN_NUMBER.sub(lambda m: str(n) if (n := _cn_to_int(m.group())) is not None else m.group(), text)


def parse_day(text: str, today: date) -> date | None:
    t = normalize(text)
    for word, offset in sorted(_RELATIVE.items(), key=lambda kv: -len(kv[0])):
        if word in t:
            return today + timedelta(days=offset)
    m = _WEEKDAY.search(t)
    if m:
        target = (int(m.group(2)) if m.group(2).isdigit() else _CN[m.group(2)]) - 1
        monday = today - timedelta(days=today.weekday())
        weeks = 2 if m.group(1) == "下下" else 1 if m.group(1) and m.group(1).startswith("下") else 0
        day = monday + timedelta(weeks=weeks, days=target)
        return day if weeks or day >= today else day + timedelta(weeks=1)
    m = _MONTH_DAY.search(_digits(t))
    if m:
        day_of_month = int(m.group(2))
        if m.group(1):  # 11月28号: this year's, or next year's when it has passed
            candidates = [(today.year, int(m.group(1))), (today.year + 1, int(m.group(1)))]
        else:  # 28号: this month's, or next month's when it has passed
            candidates = [(today.year, today.month), (today.year + today.month // 12, today.month % 12 + 1)]
        for year, month in candidates:
            try:
                day = date(year, month, day_of_month)
            except ValueError:
                continue
            if day >= today:
                return day
    return None


_CLOCK = re.compile(r"(\d{1,2})(?::|：|点)(半|\d{1,2})?")


def parse_time(text: str) -> time | None:
    t = _digits(text.replace("：", ":").replace(" ", ""))
    m = _CLOCK.search(t)
    if not m:
        return None
    hour = int(m.group(1))
    minute = 30 if m.group(2) == "半" else int(m.group(2) or 0)
    if hour < 12 and any(w in t for w in ("下午", "晚上", "傍晚")) or hour < 8 and "中午" in t or 1 <= hour <= 5:
        hour += 12  # "两点" at a hall means 14:00; "晚上8点" is 20:00
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return time(hour, minute)


def part_of_day(text: str) -> str | None:
    t = normalize(text)
    if any(w in t for w in ("上午", "早上", "早晨", "上班")):
        return "am"
    if any(w in t for w in ("下午", "傍晚")):
        return "pm"
    if "中午" in t:
        return "noon"
    return None
