"""From what NLU extracted and what the citizen wrote to knowledge-base items and situations.
Shared by the actions and by /admin/nlu/try, so both resolve items the same way."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.choices import pick
from knowledge.bundles import situation_of
from knowledge.normalize import normalize
from knowledge.search import SearchEntry, SearchIndex
from knowledge.service import Snapshot

AMBIGUITY_RATIO = 0.75  # hits scoring this close to the best one are real alternatives
MAX_CHOICES = 4


def faq_key(parsed: dict[str, Any]) -> str | None:
    """The FAQ ("faq/<key>") the response selector picked for a message Rasa parsed, if any."""
    selected = ((parsed.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    return selected.get("intent_response_key")


@dataclass
class Resolution:
    code: str | None = None
    candidates: list[str] = field(default_factory=list)  # several good items: ask which

    @property
    def ambiguous(self) -> bool:
        return self.code is None and len(self.candidates) > 1


def _from_hits(snap: Snapshot, query: str) -> Resolution:
    hits = snap.index.search(query, limit=MAX_CHOICES + 1, kind="item")
    if not hits:
        return Resolution()
    close = [h for h in hits if h.score >= AMBIGUITY_RATIO * hits[0].score]
    if hits[0].complete:  # a name or alias said in full beats near misses (身份证 → not 临时身份证)
        close = [h for h in close if h.complete]
    close = [h.code for h in close][:MAX_CHOICES]
    return Resolution(close[0]) if len(close) == 1 else Resolution(None, close)


def resolve_item(snap: Snapshot, entities: list[dict[str, Any]], text: str) -> Resolution:
    """An item entity that the synonyms mapped to a code wins. Otherwise the whole sentence goes
    through the knowledge-base search: it holds more context than a partly extracted entity
    (第一次申领社保卡: the entity may be just 申领). The entity's own text is the last resort."""
    for entity in entities:
        if entity.get("entity") == "item" and str(entity.get("value") or "").upper() in snap.items:
            return Resolution(str(entity["value"]).upper())
    found = _from_hits(snap, text)
    if found.code or found.candidates:
        return found
    for entity in entities:
        if entity.get("entity") == "item":
            found = _from_hits(snap, str(entity.get("value") or ""))
            if found.code or found.candidates:
                return found
    return Resolution()


def ranked_items(snap: Snapshot, entities: list[dict[str, Any]], text: str) -> list[str]:
    """Every item the sentence may be about, best first (for "try a sentence")."""
    codes: list[str] = []
    resolution = resolve_item(snap, entities, text)
    if resolution.code:
        codes.append(resolution.code)
    codes += resolution.candidates
    codes += [h.code for h in snap.index.search(text, limit=MAX_CHOICES, kind="item")]
    return list(dict.fromkeys(codes))


def situation_in(item: dict[str, Any], text: str, entities: list[dict[str, Any]] = ()) -> str | None:
    entry = SearchEntry.from_item(item)
    for entity in entities:
        if entity.get("entity") == "situation":
            key = SearchIndex.situation_for(entry, str(entity.get("value") or ""))
            if key:
                return key
    return SearchIndex.situation_for(entry, text)


def choose_situation(item: dict[str, Any], text: str, entities: list[dict[str, Any]] = (),
                     candidates: list[str] | None = None) -> str | None:
    """The situation of `item` a reply picks: by name or part of it, by one of its keywords ("丢了" →
    遗失补发), by number among `candidates` (the options the citizen was shown, in that order), or by the
    sentence as a whole (the search's own situation words)."""
    keys = candidates or [s["key"] for s in item["situations"]]
    shown = [situation_of(item, k) for k in keys]
    idx = pick(text, [s["name"] for s in shown], [s.get("keywords") or [] for s in shown])
    if idx is not None:
        return keys[idx]
    found = situation_in(item, text, entities)
    return found if found in keys else None


# The question a sentence asks, whatever else it says ("首次申请要多久" chooses a situation and asks how long).
# The 一次性告知 questions first: "网上怎么办" asks whether it can be done online, not for the process.
_ASKS = (
    ("unstated", re.compile(r"利率|利息|额度|能贷多少|贷多少|可以贷|领多少|发多少|能拿多少|每月多少|一个月多少|补多少|标准是多少|"
                            r"多大(年龄|岁数)|多少岁|几岁|年龄")),
    ("proxy", re.compile(r"代办|代领|代理|委托|代替|替我|替他|替她|帮(我|他|她|家人|老人|父母|孩子)?办|"
                         r"帮(我|他|她|家人|老人|父母|孩子)?去?(办|领)|(家人|别人|亲戚|子女|老公|老婆|爱人)(去|能|可以)?(办|领)|(必须|一定要|需要)本人|本人(必须|一定)|本人不能|亲自")),
    ("online", re.compile(r"网上|网办|线上|手机上|手机能|app|小程序|不用去|不去现场|在家(办|就能)|电子版")),
    ("visits", re.compile(r"跑几(次|趟)|几(次|趟)|跑一次|要跑")),
    ("rongque", re.compile(r"容缺|缺(一|个|了)?(份|样|项)?材料|材料不(全|齐)|少(一|了|带)|没带齐|先办后补|后补")),
    ("conditions", re.compile(r"条件|资格|符合|谁(可以|能)办|哪些人|什么人(可以|能)|够不够|能不能办|可以办吗|能办吗")),
    ("situations", re.compile(r"哪种情(形|况)|什么情(形|况)|几种情(形|况)")),
    ("time_limit", re.compile(r"多久|多长时间|几天|几个工作日|时限|什么时候能?(拿|取|办好|下来)")),
    ("fee", re.compile(r"多少钱|收费|费用|要钱|免费|花钱|工本费")),
    ("location", re.compile(r"在哪|哪里|哪儿|地址|哪个(大厅|窗口)|去哪")),
    ("process", re.compile(r"流程|步骤|怎么(办|弄|申请|操作)|如何(办|申请)|手续")),
    ("materials", re.compile(r"材料|带什么|准备什么|需要什么|要什么|证件")),
)
# Questions the intents already say (ask_fee …); the others are read from the words alone.
DETAIL_QUESTIONS = ("unstated", "proxy", "online", "visits", "rongque", "conditions", "situations")
_UNSTATED_TOPICS = (
    (re.compile(r"利率|利息"), "贷款利率"), (re.compile(r"额度|贷多少|能贷|可以贷"), "可贷额度"),
    (re.compile(r"岁|年龄"), "年龄要求"), (re.compile(r"领|发|拿|补|每月|一个月|标准"), "发放金额"),
)


def question_asked(text: str) -> str | None:
    t = normalize(text)
    return next((q for q, pattern in _ASKS if pattern.search(t)), None)


def unstated_topic(text: str) -> str:
    """What a question the guide has no field for asks about, in a few words for the reply."""
    t = normalize(text)
    return next((topic for pattern, topic in _UNSTATED_TOPICS if pattern.search(t)), "具体规定")


NAME_ALONE_MIN_CHARS = 4  # shorter bare words (护照, 低保) the NLU knows; a fragment this short could be anything
# What may come around a pasted name without making it a question of its own: "请问" before it, a sentence
# particle after it (烟草专卖零售许可证呢).
_PARTICLES = "呢吗嘛啊呀吧哦"  # what ends a sentence without saying anything
_AROUND_A_NAME = re.compile(rf"^(请问|那么|那|还有)|[{_PARTICLES}哈]+$")


# A reply made of these alone (啥啊, 嗯嗯啊, 什么意思) asks nothing: the citizen is lost, or just filling in.
_FILLERS = set("啥嗯啊哦噢呃额哈诶欸咦嘿哎唉呀吧呢吗嘛")
_PARTICLES_AFTER = re.compile(rf"[{_PARTICLES}]+$")
_LOST = ("什么", "什么意思", "啥意思", "什么东西", "啥玩意", "看不懂", "不懂", "没懂", "听不懂")


def says_nothing(text: str) -> bool:
    """Whether a message holds no question and names nothing: a follow-up about the item in context needs
    at least a word of what is asked, or the bot answers a question nobody put."""
    t = normalize(text)
    return bool(t) and (set(t) <= _FILLERS or _PARTICLES_AFTER.sub("", t) in _LOST)


def is_an_item_name_alone(snap: Snapshot, text: str) -> bool:
    """Whether the message is nothing but an item's name or alias, or a run of one (烟草专卖零售许可证 of
    烟草专卖零售许可证核发): citizens paste names from the service portal, and the NLU, trained on questions,
    may not know what to make of a bare one. Which item it is (or "which one?") the answer decides."""
    t = _AROUND_A_NAME.sub("", normalize(text))
    if len(t) < NAME_ALONE_MIN_CHARS:
        return False
    return any(t in form for hit in snap.index.search(t, limit=MAX_CHOICES, kind="item")
               for form in snap.forms.get(hit.code, ()))


def items_named(snap: Snapshot, text: str) -> set[str]:
    """Items whose name or one of whose aliases the text says in full ("身份证丢了呢" names 居民身份证)."""
    t = normalize(text)
    return {code for code, forms in snap.forms.items() if any(form in t for form in forms)}
