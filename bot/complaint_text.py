"""What a complaint written in chat says: whether it says what happened, its category, and the hall
and window it names. Real complaints are long, describe a problem and rarely say 投诉."""
from __future__ import annotations

import re

from bot.halls import hall_in_text
from knowledge.normalize import normalize
from knowledge.service import Snapshot
from miniprogram_api.services.ratings import window_of

# "我要投诉" and the like: the wish to complain, not yet the complaint.
_ONLY_THE_WISH = re.compile(
    r"(我|我们)?(要|想)?(投诉|投訴|举报|反映(一下)?问题|反映|提(个)?建议|建议|差评|求助)(一下)?(你们|你们大厅|窗口)?")
_WISH_WORD = re.compile(r"投诉|投訴|举报|反映|建议|差评|求助|意见")
MIN_DETAIL = 4  # characters once the wish is taken out: "态度太差了" says what happened
MIN_STORY = 12  # a question shorter than this that does not say 投诉 is no complaint ("要预约吗？")

# The complaint service's categories (services/ratings.py COMPLAINT_CATEGORIES), by what the words are about.
_CATEGORIES = (
    ("服务态度", re.compile(r"态度|不理|凶|骂|冷漠|不耐烦|难听|刁难|玩手机|聊天|推诿|脸色")),
    ("办事效率", re.compile(r"慢|效率|排队|等了|超时|拖|没办好|几趟|多次|跑了|时限|还没(办|下来)|迟迟")),
    ("材料要求", re.compile(r"材料|证明|补交|一次(说|告知)|反复要")),
    ("系统故障", re.compile(r"系统|故障|坏了|死机|登不上|打不开|网站|app|小程序|闪退|叫号机")),
)
_WINDOW = re.compile(r"([A-Za-z]?\d{1,2})\s*号?\s*(窗口|窗)|([A-Za-z])\s*(窗口|窗)")


def wishes_to_complain(text: str) -> bool:
    return bool(_WISH_WORD.search(normalize(text)))


def says_what_happened(text: str) -> bool:
    return len(_ONLY_THE_WISH.sub("", normalize(text))) >= MIN_DETAIL


_SUGGESTION = re.compile(r"^(我)?(建议|提(个|一个|点)?建议)|建议(你们|政府|相关部门|增加|设置|开通|延长)")


def is_suggestion(text: str) -> bool:
    return bool(_SUGGESTION.search(normalize(text)))


def category_of(text: str) -> str:
    t = normalize(text)
    return next((name for name, pattern in _CATEGORIES if pattern.search(t)), "其他")


def where_in_text(snap: Snapshot, text: str) -> tuple[str | None, str | None]:
    """(hall code, window) the complaint names; a window only with its hall, and only one it has."""
    hall = hall_in_text(snap, text, list(snap.halls)) if len(normalize(text)) >= 2 else None
    if hall is None:
        return None, None
    m = _WINDOW.search(text)
    window = window_of(snap.halls[hall], (m.group(1) or m.group(3)) + "号窗口") if m else None
    return hall, window
