"""Ranked item search over names and aliases, tolerant of what citizens type: filler words, homophone
typos (营业执造), traditional characters (護照), English (passport) and fragments (护照呢).

Each name/alias ("form") is a bag of tokens: character bigrams, pinyin-syllable bigrams (so a homophone
typo still matches) and latin words. A query scores a form by the IDF-weighted share of the form's
tokens it contains (coverage) times the weight it matched (mass), so a fully matched specific form beats
a partly matched or generic one. Query bigrams also skip one character, so 开个公司 still contains 开公.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import zhconv
from pypinyin import lazy_pinyin

_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")
_QUALIFIER = re.compile(r"\([^)]*\)")  # （…） after NFKC
PINYIN_WEIGHT = 0.85  # a homophone match is good evidence, but less than the characters themselves
CHAR_SET_WEIGHT = 0.7  # the form's characters scattered in the query (户口…迁): weaker still
QUERY_SIDE_WEIGHT = 0.9  # a query that is all part of a longer form (公积金 → 公积金贷款) matches it, a bit less
MIN_COVERAGE = 0.55  # half of a two-word form ("registration") is not a match
MIN_MASS = 2.0
RELATIVE_CUTOFF = 0.25  # hits far below the best one are noise
_WEIGHTS = (1.0, PINYIN_WEIGHT, CHAR_SET_WEIGHT)  # character pairs, pinyin pairs, single characters
# When no name or alias is said whole, a query that begins as an item's name begins (退休, 退休要带什么材料
# → 退休申请) is about that item, ahead of another whose alias merely contains the word (退休提公积金):
# clear of the resolver's ambiguity ratio.
NAME_PREFIX_BONUS = 1.5
# … when the query holds a fair part of that name's characters, its bracketed qualifier aside (退休 is half
# of 退休申请（基本养老金待遇申领）): in a city's catalogue 低保 also begins 低保边缘家庭救助申领（网上申请）,
# which 低保怎么申请 barely touches.
PREFIX_MIN_SHARE = 0.4


@dataclass(frozen=True)
class SearchEntry:
    code: str
    name: str
    kind: str  # "item" or "bundle"
    aliases: tuple[str, ...] = ()
    situations: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (key, name, keywords)

    @classmethod
    def from_item(cls, item: dict) -> SearchEntry:
        situations = tuple((s["key"], s["name"], tuple(s.get("keywords", ()))) for s in item["situations"])
        return cls(item["code"], item["name"], "item", tuple(item["aliases"]), situations)

    @classmethod
    def from_bundle(cls, bundle: dict) -> SearchEntry:
        return cls(bundle["code"], bundle["name"], "bundle", tuple(bundle["aliases"]))


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    kind: str
    score: float
    matched: str  # the name or alias that matched best
    situation: str | None  # situation key the query points at (补办 → loss), if any
    complete: bool = False  # the query contains that name or alias whole


@lru_cache(maxsize=8192)
def _clean(text: str) -> str:
    return zhconv.convert(unicodedata.normalize("NFKC", text), "zh-cn").lower()


# Pairs that say how a question is asked, never which item it is about; dropped from forms and queries.
STOP_PAIRS = frozenset(
    "怎么 什么 哪里 哪个 需要 请问 我想 想问 一下 可以 多少 如何 要带 带什 么材 材料 办理 手续 流程 多久 在哪 "
    "办证 办个 要办 想办 怎样 咋办 能不 不能 吗 的 了".split()
)
_EN_SUFFIXES = ("ings", "ing", "als", "al", "ed", "es", "s")


def _stem(word: str) -> str:
    """A crude English stem, enough for withdraw/withdrawal, license/licenses."""
    if len(word) > 4 and not word.isdigit():
        for suffix in _EN_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                return word[: -len(suffix)]
    return word


def _pairs(seq: list[str], chars: str, skip: bool) -> set[str]:
    """Adjacent (and, for queries, skip-one) pairs of `seq`, a per-character sequence of `chars`
    (the characters themselves, or their pinyin); pairs of STOP_PAIRS characters are left out."""
    gaps = (1, 2) if skip else (1,)
    out = {
        seq[i] + "\x1f" + seq[i + g]
        for g in gaps for i in range(len(seq) - g)
        if chars[i] + chars[i + g] not in STOP_PAIRS
    }
    if len(seq) == 1 and chars not in STOP_PAIRS:
        out.add(seq[0])
    return out


@lru_cache(maxsize=8192)
def tokens(text: str, query: bool = False) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(character-pair/word tokens, pinyin-pair tokens, single characters) of a text."""
    return _tokens(text, query)


# The catalogue's names and aliases, apart from the citizens' queries, which cannot evict them: an index
# rebuilt for a new revision reuses the unchanged forms' tokens (their pinyin is most of a build, ~4 s
# at 11,000 items), and the index holds these very sets anyway.
@lru_cache(maxsize=1 << 16)
def form_tokens(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    return _tokens(text, False)


def _tokens(text: str, query: bool) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    chars: set[str] = set()
    sounds: set[str] = set()
    singles: set[str] = set()
    for run in _CJK_OR_WORD.findall(_clean(text)):
        if run[0].isascii():
            chars.add(_stem(run))
            continue
        chars |= _pairs(list(run), run, query)
        sounds |= {"py:" + t for t in _pairs(lazy_pinyin(run), run, query)}
        singles |= {"1:" + c for c in run}
    return frozenset(chars), frozenset(sounds), frozenset(singles)


@dataclass
class _Form:
    entry: int
    text: str
    chars: frozenset[str]
    sounds: frozenset[str]
    singles: frozenset[str]
    totals: tuple[float, float, float] = (0.0, 0.0, 0.0)


class _Best(NamedTuple):
    """An entry's best-scoring form for one query."""
    score: float
    text: str
    complete: bool  # the query contains this form whole
    matched: float  # weight of the query's tokens found in it, all channels
    unsaid: float  # weight of its character pairs the query does not contain


_NONE = _Best(0.0, "", False, 0.0, 0.0)


@dataclass
class SearchIndex:
    entries: list[SearchEntry]
    _forms: list[_Form] = field(default_factory=list, repr=False)
    _idf: dict[str, float] = field(default_factory=dict, repr=False)
    _postings: dict[str, list[int]] = field(default_factory=dict, repr=False)
    # A city's catalogue has thousands of forms, and common tokens (许可, 登记, 证) are in most of them.
    # A form can only score in a channel if the query holds MIN_COVERAGE of its weight there, so it is
    # listed under its rarest tokens only: enough that a query with none of them cannot reach that share.
    # (Query-side coverage is found the other way round: the forms under the query's rarest tokens.)
    _prefixes: tuple[dict[str, list[int]], ...] = field(default_factory=tuple, repr=False)
    # Each entry's name as the prefix bonus reads it: its words, its bracketed qualifier left out.
    _bare_names: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        df: dict[str, set[int]] = defaultdict(set)
        self._bare_names = ["".join(_CJK_OR_WORD.findall(_QUALIFIER.sub("", _clean(e.name)))) for e in self.entries]
        for i, entry in enumerate(self.entries):
            for text in dict.fromkeys([entry.name, *entry.aliases]):
                chars, sounds, singles = form_tokens(text)
                if not chars and not sounds:
                    continue
                self._forms.append(_Form(i, text, chars, sounds, singles))
                for t in chars | sounds | singles:
                    df[t].add(i)
        n = max(len(self.entries), 1)
        self._idf = {t: math.log(1 + n / len(ids)) for t, ids in df.items()}
        postings: dict[str, list[int]] = defaultdict(list)
        prefixes: tuple[dict[str, list[int]], ...] = (defaultdict(list), defaultdict(list), defaultdict(list))
        for f_id, form in enumerate(self._forms):
            parts = (form.chars, form.sounds, form.singles)
            form.totals = tuple(sum(self._idf[t] for t in part) for part in parts)
            for t in form.chars | form.sounds:
                postings[t].append(f_id)
            for channel, part in enumerate(parts):
                self._list_under_rarest(f_id, part, (1 - MIN_COVERAGE / _WEIGHTS[channel]) * form.totals[channel],
                                        prefixes[channel])
        self._postings, self._prefixes = dict(postings), tuple(dict(p) for p in prefixes)

    def _list_under_rarest(self, item: int, tokens_: frozenset[str], more_than: float,
                           into: dict[str, list[int]]) -> None:
        held = 0.0
        for t in sorted(tokens_, key=lambda t: (-self._idf[t], t)):
            into[t].append(item)
            held += self._idf[t]
            if held > more_than + 1e-9:
                return

    def _candidates(self, parts: tuple[frozenset[str], ...], known: list[float]) -> set[int]:
        """The forms that can reach MIN_COVERAGE on some channel, from either side (see _prefixes)."""
        found: set[int] = set()
        for channel, part in enumerate(parts):
            for t in part:
                found.update(self._prefixes[channel].get(t, ()))
        for channel in (0, 1):
            held, more_than = 0.0, (1 - MIN_COVERAGE / (QUERY_SIDE_WEIGHT * _WEIGHTS[channel])) * known[channel] + 1e-9
            for t in sorted((t for t in parts[channel] if t in self._postings), key=lambda t: (-self._idf[t], t)):
                found.update(self._postings[t])
                held += self._idf[t]
                if held > more_than:
                    break
        return found

    def search(self, query: str, limit: int = 5, kind: str | None = None) -> list[Hit]:
        parts = tokens(query, query=True)
        # IDF weight of the query's pair tokens that some form has, per channel (query-side coverage)
        known = [sum(self._idf[t] for t in part if t in self._postings) for part in parts[:2]]
        mass: dict[int, list[float]] = {}
        for f_id in self._candidates(parts, known):
            form = self._forms[f_id]
            mass[f_id] = [sum(self._idf[t] for t in mine & said) for mine, said in
                          zip((form.chars, form.sounds, form.singles), parts, strict=True)]
        best: dict[int, _Best] = {}
        said = "".join(_CJK_OR_WORD.findall(_clean(query)))
        for f_id, masses in sorted(mass.items()):  # equal scores: the first form wins, whatever the hashing
            form = self._forms[f_id]
            if kind and self.entries[form.entry].kind != kind:
                continue
            options = []
            for channel, (weight, m, total) in enumerate(zip(_WEIGHTS, masses, form.totals, strict=True)):
                if total:
                    options.append((weight * m / total, weight * m))
                # Query-side coverage only for pairs: single characters of a query are too common to count.
                if channel < 2 and known[channel]:
                    options.append((QUERY_SIDE_WEIGHT * weight * m / known[channel], weight * m))
            scores = [cov * cov * m for cov, m in options if cov >= MIN_COVERAGE and m >= MIN_MASS]
            if not scores:
                continue
            score = round(max(scores), 9)  # sums in set order differ in the last bits; ties must stay ties
            complete = bool(form.totals[0]) and masses[0] >= form.totals[0] - 1e-9
            if score > best.get(form.entry, _NONE).score:
                best[form.entry] = _Best(score, form.text, complete,
                                         round(sum(w * m for w, m in zip(_WEIGHTS, masses, strict=True)), 9),
                                         round(form.totals[0] - masses[0], 9))
        if len(said) >= 2 and not any(b.complete for b in best.values()):
            for i, b in best.items():
                name = self._bare_names[i]
                if name.startswith(said[:2]) and sum(c in said for c in name) >= PREFIX_MIN_SHARE * len(name):
                    best[i] = b._replace(score=b.score * NAME_PREFIX_BONUS)
        # Equal scores (a city's catalogue lists 烟草专卖零售许可证核发, …停业, …（临时）注销 side by side): the form
        # said whole first, then the one more of the query's words and characters went into, then the one
        # that leaves the least unsaid (the plain item before its qualified variants).
        ranked = sorted(best.items(), key=lambda kv: (-kv[1].score, not kv[1].complete, -kv[1].matched,
                                                      kv[1].unsaid, self.entries[kv[0]].code))
        if not ranked:
            return []
        top = ranked[0][1].score
        return [
            Hit(e.code, e.name, e.kind, round(b.score, 3), b.text, self.situation_for(e, query), b.complete)
            for e, b in ((self.entries[i], b) for i, b in ranked[:limit])
            if b.score >= RELATIVE_CUTOFF * top
        ]

    @staticmethod
    def situation_for(entry: SearchEntry, query: str) -> str | None:
        """The situation whose name or keyword the query mentions (longest mention wins)."""
        text = _clean(query)
        best: tuple[int, str] | None = None
        for key, name, keywords in entry.situations:
            for word in (name, *keywords):
                w = _clean(word)
                if w and w in text and (best is None or len(w) > best[0]):
                    best = (len(w), key)
        return best[1] if best else None
