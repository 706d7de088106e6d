"""Whether a question is about something the guide (办事指南) holds — the edge of what the bot knows.

The search always finds the nearest item; a citizen asking about 行驶证 gets 驾驶证 as the nearest. So an
item is answered only when the sentence is about it: it names the item (a name or alias whole), or the
service the citizen names (行驶证补领, 失业补助金, 犬只登记 — a phrase ending in a word such as 证, 金,
登记, 许可) is one of the item's names. A named service that no item has is "not covered"; one that
only resembles an item (shares a word with it) is a near miss, and the bot asks instead of answering.
One home for this decision: the answering action, the booking form and bench/real_bench.py use it."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import zhconv
from pypinyin import lazy_pinyin

from bot.understanding import resolve_item
from knowledge.normalize import normalize
from knowledge.service import Snapshot, item_forms

# The last word of a service's name: what is issued, paid, registered or permitted.
_HEAD = re.compile(
    r"(证明|证书|证件|通行证|优待证|证|执照|牌照|号牌|车牌|本|卡|补助金|补贴|补助|津贴|救助|保险金|抚恤金|公积金|金|"
    r"指标|资格|认定|审批|许可|登记|备案|年审|年检|过户|签注|注销|落户|入学|入户|摇号|"
    r"公证|报名|考试|鉴定|预约|咨询|援助|确认|验证|申报|评定|会见|申请|执业)"
)
# Words around a service's name in a question: they split a sentence into candidate phrases.
_AROUND = re.compile(
    r"[^\u4e00-\u9fffa-z0-9]+|请问|你好|您好|我想|我要|想要|想问|问一下|问下|一下|怎么|怎样|如何|咋|什么|啥|哪些|在哪里|去哪里|"
    r"哪里|哪儿|哪个|在哪|去哪|急需|需要|要带|材料|资料|流程|手续|多久|多长时间|多少钱|多少|可以|能不能|能否|是否|是不是|有没有|必须|"
    r"吗|呢|吧|啊|呀|哦|的|了|是|和|跟|还|都|也|就|要|想|去|在|到|给|帮|我|你|您|他|她|们|这|那|该|应该|如果|已经"
)
# A verb before the service (办护照, 领养老金) is not part of its name; 补 stays (补助金).
_LEADING_VERB = re.compile(r"^(办理|申请|申领|补办|补领|换领|领取|开具|查询|缴纳|办|领|换|开|拿|交)")
_TRAILING_STATE = re.compile(r"(丢失|遗失|丢|掉|坏|过期|到期|没)$")
# A question about everything a life event takes (开公司要办哪些手续): the bundle of the item it names.
_BUNDLE_SCOPE = re.compile(r"哪些(手续|证|事)|要办(什么|啥|哪些)|都要办|全套|一条龙|一件事|全流程|所有(的)?手续|一次办")
MIN_SHARED = 2  # a near miss shares at least a two-character word with the item (失业补助金 ~ 失业保险金)
# What is done to a licence, a business or a registration: items of one thing differ by it (营业执照变更登记,
# 企业简易注销登记, 个体工商户设立登记), so a question asking one of these of an item that does another is
# not about that item ("营业执照怎么注销" is not 营业执照变更). Each word with the words that mean it too.
# (Words also used of first applications, renewals or moves of a person's papers — 新办, 续期, 延期, 迁入 —
# are left out: 护照新办 is 普通护照签发's 首次申请.)
_OPERATIONS = {"注销": ("注销",), "变更": ("变更",), "设立": ("设立",), "撤销": ("撤销",),
               "转让": ("转让", "过户", "转移"), "歇业": ("歇业",)}
_OPERATION = re.compile("|".join(w for words in _OPERATIONS.values() for w in words))


def _plain(text: str) -> str:
    """Half-width, simplified, lower case; punctuation kept (it splits phrases, unlike normalize)."""
    return zhconv.convert(unicodedata.normalize("NFKC", text), "zh-cn").lower()


@lru_cache(maxsize=4096)
def service_phrases(text: str) -> tuple[str, ...]:
    """The services a sentence names, in order ("行驶证丢了怎么补办" → 行驶证; "失业补助金怎么领" → 失业补助金).
    A trailing action is kept with its service (行驶证补领), so a reply can echo the citizen's words."""
    out: list[str] = []
    for chunk in _AROUND.split(_plain(text)):
        chunk = _TRAILING_STATE.sub("", chunk)
        rest = _LEADING_VERB.sub("", chunk)
        chunk = rest if _HEAD.search(rest) else chunk
        if 2 <= len(chunk) <= 14 and _HEAD.search(chunk) and not _HEAD.fullmatch(chunk) and not chunk.isascii():
            out.append(chunk)
    return tuple(dict.fromkeys(out))


def _core(phrase: str) -> str:
    """行驶证补领 → 行驶证: the phrase up to its last service word."""
    last = None
    for m in _HEAD.finditer(phrase):
        last = m
    return phrase[:last.end()] if last else phrase


@lru_cache(maxsize=8192)
def _sound(text: str) -> str:
    return " " + " ".join(lazy_pinyin(text)) + " "


def names(item: dict[str, Any], phrase: str) -> bool:
    """Whether `phrase` is one of the item's names: it contains one (居民身份证 ⊃ 身份证), is part of one
    (公积金 ⊂ 住房公积金提取), or sounds like one (身分证)."""
    core = _core(phrase)
    for f in item_forms(item):
        if f in phrase or core in f or _sound(f) in _sound(phrase) or _sound(core) in _sound(f):
            return True
    return False


def resembles(item: dict[str, Any], phrase: str) -> bool:
    """One of the item's names is the same kind of thing and begins or ends with the same word: 失业补助金 ~
    失业保险金, 生育补贴 ~ 生育津贴, 行驶证 ~ 驾驶证 — a word that says what, not only a service word
    (门诊预约 and 离婚预约 share only 预约; 执行证书公证 and 通行证 only 行证, mid-word)."""
    core = _core(phrase)
    if len(core) < MIN_SHARED + 1:
        return False
    start, end = core[:MIN_SHARED], core[-MIN_SHARED:]
    return any(f[-1] == core[-1] and ((f.startswith(start) and not _HEAD.fullmatch(start))
                                      or (f.endswith(end) and not _HEAD.fullmatch(end)))
               for f in item_forms(item))


@dataclass
class About:
    """What a question is about. kind: item, bundle, near_miss (the item is only close to what the
    citizen named), not_covered (nothing in the guide), ambiguous (several items: ask which), none."""
    kind: str
    code: str | None = None
    phrase: str | None = None  # the citizen's own words for the service, for the reply's echo
    candidates: list[str] = field(default_factory=list)


def _bundle_named(snap: Snapshot, text: str) -> str | None:
    """A life event said in full (宝宝出生, 开公司, 买二手房): the 一件事 bundle, unless an item is named
    in more characters (新生儿上户口 is the item, not the bundle)."""
    bundles = [h for h in snap.index.search(text, limit=2, kind="bundle") if h.complete]
    if not bundles:
        return None
    items = [h for h in snap.index.search(text, limit=2, kind="item") if h.complete]
    if items and len(normalize(items[0].matched)) > len(normalize(bundles[0].matched)):
        return None
    return bundles[0].code


def about(snap: Snapshot, entities: list[dict[str, Any]], text: str) -> About:
    bundle = _bundle_named(snap, text)
    if bundle:
        return About("bundle", bundle)
    phrases = service_phrases(text)
    found = resolve_item(snap, entities, text)
    if found.ambiguous:
        grounded = [c for c in found.candidates if not phrases or any(names(snap.items[c], p) for p in phrases)]
        if len(grounded) == 1:
            return About("item", grounded[0])
        if grounded:
            return About("ambiguous", candidates=grounded)
        return _not_named(snap, phrases[0], found.candidates)
    if found.code is None:
        return _not_named(snap, phrases[0], []) if phrases else About("none")
    item = snap.items[found.code]
    asked = _OPERATION.search(normalize(text))
    if asked and not _does(item, asked.group()):
        return _other_operation(snap, text, asked.group())
    if not phrases or any(names(item, p) for p in phrases):
        if _BUNDLE_SCOPE.search(text):
            bundle = next((b for b, v in snap.bundles.items() if any(r.split("/")[0] == found.code for r in v["items"])), None)
            if bundle:
                return About("bundle", bundle)
        return About("item", found.code)
    return _not_named(snap, phrases[0], [found.code])


def _not_named(snap: Snapshot, phrase: str, nearest: list[str]) -> About:
    close = next((c for c in nearest if resembles(snap.items[c], phrase)), None)
    if close is None:  # the search's pick shares nothing with the words: any item that does
        close = next((h.code for h in snap.index.search(_core(phrase), limit=3, kind="item")
                      if resembles(snap.items[h.code], phrase)), None)
    return About("near_miss", close, phrase) if close else About("not_covered", phrase=phrase)


def _does(item: dict[str, Any], word: str) -> bool:
    """Whether the item (its names, or one of its situations: 烟草专卖零售许可证核发's 延续) does what `word` says."""
    words = next(ws for ws in _OPERATIONS.values() if word in ws)
    texts = [*item_forms(item), *(normalize(s.get("name", "")) for s in item.get("situations", []))]
    return any(w in t for w in words for t in texts)


def _other_operation(snap: Snapshot, text: str, word: str) -> About:
    """The item found does something else than the citizen asks: an item the search ranks close that does
    it is a near miss (the bot asks), otherwise the guide does not cover it, said in the citizen's words."""
    said = "".join(c for c in _AROUND.split(_plain(text)) if c)
    phrase = said if 2 < len(said) <= 14 else word
    close = next((h.code for h in snap.index.search(text, limit=3, kind="item") if _does(snap.items[h.code], word)), None)
    return About("near_miss", close, phrase) if close else About("not_covered", phrase=phrase)
