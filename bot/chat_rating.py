"""A citizen's 好差评 in their own words after a hand-off: "5", "4分吧，回复挺快但等太久", "打五星",
"非常满意，工作人员很耐心" → a level on the one scale (services.ratings.LEVELS) and a comment."""
from __future__ import annotations

import re
from dataclasses import dataclass

from miniprogram_api.services.ratings import LEVELS

RATING_LEVELS = {label: level for level, label in LEVELS.items()}  # the 好差评 scale, by its words
# How citizens say the same levels in their own words (matched anywhere, the longest first).
RATING_WORDS = {**RATING_LEVELS, "很满意": 1, "特别满意": 1, "十分满意": 1, "很不满意": 5, "特别不满意": 5,
                "十分不满意": 5, "不太满意": 4, "不是很满意": 4, "不怎么满意": 4, "还算满意": 3, "比较满意": 2}
RATING_QUESTION = f"请为本次服务评价，回复：{'、'.join(LEVELS.values())}（或5到1分）。"



@dataclass(frozen=True)
class ChatRating:
    level: int  # 1 非常满意 … 5 非常不满意 (services.ratings.LEVELS)
    comment: str = ""  # the rest of what the citizen wrote


_NUMERALS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# The scale: RATING_QUESTION offers "5到1分" next to 非常满意 … 非常不满意, so points and stars count up
# (5分 / 五星 / 满分 = 非常满意, 1分 = 非常不满意) while the levels count down: N points is level 6 - N.
# A number counts only with 分/星 ("等了15分钟" / "三分之一" / "一分钱" are not ratings), except alone.
_POINTS = re.compile(r"(?<![0-9.一二三四五六七八九十百两])(?:打|给|评)?个?([1-5一二两三四五])(?:颗星|分|星)(?![钟之钱半])")
_FULL_MARKS = re.compile(r"(?:打|给)?个?满分")
_WORDS = re.compile("(?:" + "|".join(sorted(RATING_WORDS, key=len, reverse=True)) + ")(?!度)")  # not 满意度
_PUNCT = " \t\r\n，,。.!！?？~～、;；:：…"
_PARTICLES = "吧啊呀呢哈嗯哦"  # "4分吧，…"
# What people put before the rating that says nothing of its own: "我不是很满意，太慢了" → "太慢了".
_LEAD_INS = re.compile(r"(?:我|我觉得|我感觉|感觉|总体|总的来说|总体来说|整体来说|还是|就)?")


def _comment(text: str, span: tuple[int, int]) -> str:
    before = text[:span[0]].strip(_PUNCT)
    after = text[span[1]:].lstrip(_PUNCT + _PARTICLES).strip()
    if _LEAD_INS.fullmatch(before):
        before = ""
    rest = "，".join(part for part in (before, after) if part)
    # "5分，非常满意": a second way of saying the rating is not a comment.
    return "" if _WORDS.fullmatch(rest.strip(_PUNCT)) or rest.strip(_PUNCT) == "满分" else rest


def parse_rating(text: str) -> ChatRating | None:
    """The level and the rest as a comment from "5", "4分吧，回复挺快但等太久", "打五星", "满分",
    "非常满意，工作人员很耐心" …; None when it is not a rating."""
    t = text.strip()
    bare = t.strip(_PUNCT + _PARTICLES)
    if bare in _NUMERALS:
        return ChatRating(6 - _NUMERALS[bare])
    if m := _POINTS.search(t):
        return ChatRating(6 - _NUMERALS[m.group(1)], _comment(t, m.span()))
    if m := _FULL_MARKS.search(t):
        return ChatRating(1, _comment(t, m.span()))
    if m := _WORDS.search(t):
        return ChatRating(RATING_WORDS[m.group(0)], _comment(t, m.span()))
    return None
