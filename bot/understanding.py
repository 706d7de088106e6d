"""From what NLU extracted and what the citizen wrote to knowledge-base items and situations.
Shared by the actions and by /admin/nlu/try, so both resolve items the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
