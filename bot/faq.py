"""FAQ curation: the FAQ retrieval intents live in the database (edited by curators, every change
audited), are checked for clashes with every other intent's examples, and are exported to
intents/templates/faq.yml — deterministically, so the same content gives the same bytes — from which
bot/nlu_generate.py builds Rasa's training data. Also the inbox of questions the bot could not answer."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.normalize import normalize
from miniprogram_api.errors import Conflict, Invalid, NotFound
from miniprogram_api.models.faq import FaqChange, FaqIntent, UnansweredQuestion

ROOT = Path(__file__).resolve().parent.parent
FAQ_FILE = ROOT / "intents" / "templates" / "faq.yml"
INTENT_TEMPLATES = ROOT / "intents" / "templates" / "intents.yml"
SIMILAR = 0.8  # character-bigram overlap at which two examples count as the same question
INBOX_GROUPING = 0.5
MIN_EXAMPLES = 5
KEY = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
HEADER = ("# FAQ retrieval intents (faq/<key>), exported from the curation database by bot/faq.py; edit them at\n"
          "# /admin/curation. Answers state hall facts through {HALL.field} placeholders filled from\n"
          "# knowledge/data/halls.yaml by bot/nlu_generate.py (HALL: SMZX, DHQ, XCQ; field: name, address,\n"
          "# phone, parking, transport, hours, hours_notes, notes, self_service, services).\n")


def _bigrams(text: str) -> set[str]:
    t = normalize(re.sub(r"\{\w+\}", "", text))
    return {t[i:i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    if normalize(a) == normalize(b):
        return 1.0
    return len(x & y) / len(x | y)


def overlap(a: str, b: str) -> float:
    """Shared bigrams over the shorter question's: short paraphrases of one question group together."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


def faq_view(f: FaqIntent) -> dict[str, Any]:
    return {"key": f.key, "title": f.title, "examples": f.examples, "answer": f.answer,
            "related_items": f.related_items, "enabled": f.enabled, "updated_by": f.updated_by,
            "updated_at": f.updated_at.isoformat() if f.updated_at else None}


def _content(f: FaqIntent | None) -> dict[str, Any] | None:
    return None if f is None else {k: v for k, v in faq_view(f).items() if k not in ("updated_by", "updated_at")}


@dataclass(frozen=True)
class Clash:
    example: str
    other_intent: str
    other_example: str
    similarity: float


def _builtin_examples() -> dict[str, list[str]]:
    templates = yaml.safe_load(INTENT_TEMPLATES.read_text(encoding="utf-8"))["intents"]
    return {name: [str(e) for e in examples] for name, examples in templates.items()}


async def clashes(key: str, examples: list[str]) -> list[Clash]:
    """Examples equal or nearly equal to an example of another intent (FAQ or built-in)."""
    others: dict[str, list[str]] = {f"faq/{f.key}": f.examples for f in await FaqIntent.exclude(key=key)}
    others.update(_builtin_examples())
    found = []
    for example in examples:
        for intent, theirs in others.items():
            best = max(((similarity(example, t), t) for t in theirs), default=(0.0, ""))
            if best[0] >= SIMILAR:
                found.append(Clash(example, intent, best[1], round(best[0], 2)))
    return found


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    examples = list(dict.fromkeys(e.strip() for e in data.get("examples", []) if e and e.strip()))
    if len(examples) < MIN_EXAMPLES:
        raise Invalid("too_few_examples", f"至少需要{MIN_EXAMPLES}个不同的问法", {"examples": f"至少需要{MIN_EXAMPLES}个不同的问法"})
    return {**data, "examples": examples}


async def _check(key: str, examples: list[str]) -> None:
    found = await clashes(key, examples)
    if found:
        raise Conflict("example_conflict", "有问法与其他意图的问法相同或非常相近，请修改后再保存",
                       {"clashes": [c.__dict__ for c in found]})


async def _audit(key: str, action: str, staff: str, before: FaqIntent | None, after: FaqIntent | None) -> None:
    await FaqChange.create(faq_key=key, action=action, staff=staff, before=_content(before), after=_content(after))


async def create(data: dict[str, Any], staff: str) -> FaqIntent:
    data = _clean(data)
    if not KEY.match(data["key"]):
        raise Invalid("invalid_key", "编码只能用小写字母、数字和下划线，以字母开头",
                       {"key": "只能用小写字母、数字和下划线，以小写字母开头"})
    if await FaqIntent.exists(key=data["key"]):
        raise Conflict("faq_exists", f"已有编码为 {data['key']} 的 FAQ")
    await _check(data["key"], data["examples"])
    faq = await FaqIntent.create(**data, updated_by=staff)
    await _audit(faq.key, "create", staff, None, faq)
    return faq


async def entries(enabled_only: bool = False, order: str = "key") -> list[FaqIntent]:
    query = FaqIntent.filter(enabled=True) if enabled_only else FaqIntent.all()
    return await query.order_by(order)


async def get(key: str) -> FaqIntent:
    faq = await FaqIntent.get_or_none(key=key)
    if faq is None:
        raise NotFound("faq_not_found", "没有这个 FAQ")
    return faq


async def update(key: str, changes: dict[str, Any], staff: str) -> FaqIntent:
    faq = await get(key)
    before = FaqIntent(**{k: getattr(faq, k) for k in ("key", "title", "examples", "answer", "related_items", "enabled")})
    merged = _clean({"examples": faq.examples, **changes})
    if "examples" in changes:
        await _check(key, merged["examples"])
    for name, value in merged.items():
        setattr(faq, name, value)
    faq.updated_by = staff
    await faq.save()
    action = "update" if set(changes) - {"enabled"} else ("enable" if changes.get("enabled") else "disable")
    await _audit(key, action, staff, before, faq)
    return faq


async def delete(key: str, staff: str) -> None:
    faq = await get(key)
    await _audit(key, "delete", staff, faq, None)
    await faq.delete()


async def history(key: str) -> list[dict[str, Any]]:
    return [{"action": c.action, "staff": c.staff, "at": c.created_at.isoformat(), "before": c.before, "after": c.after}
            for c in await FaqChange.filter(faq_key=key).order_by("id")]


async def seed(path: Path = FAQ_FILE) -> int:
    """Fills an empty FAQ table from the committed file (the first start, or a fresh database)."""
    if await FaqIntent.exists():
        return 0
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["faq"]
    for key, entry in entries.items():
        faq = await FaqIntent.create(key=key, title=entry["title"], examples=entry["examples"], answer=entry["answer"],
                                     related_items=entry.get("related_items", []), updated_by="seed")
        await _audit(key, "seed", "seed", None, faq)
    return len(entries)


def render(faqs: list[FaqIntent]) -> str:
    """The export file's text: enabled FAQ by key, fixed field order, so equal content gives equal bytes."""
    doc = {"faq": {f.key: {"title": f.title, "examples": list(f.examples), "answer": f.answer,
                           **({"related_items": sorted(f.related_items)} if f.related_items else {})}
                   for f in sorted(faqs, key=lambda f: f.key) if f.enabled}}
    return HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000, default_style=None)


async def export(path: Path = FAQ_FILE) -> dict[str, Any]:
    text = render(await FaqIntent.all())
    changed = not path.exists() or path.read_text(encoding="utf-8") != text
    if changed:
        path.write_text(text, encoding="utf-8")
    return {"path": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path), "changed": changed,
            "faq": len(yaml.safe_load(text)["faq"])}


# -- the unanswered inbox -------------------------------------------------------------------------
async def record_unanswered(text: str, intent: str | None, confidence: float | None, reason: str | None = None) -> None:
    text = text.strip()
    if text and not text.startswith("/"):  # "/intent" triggers are not citizens' words
        await UnansweredQuestion.create(text=text[:500], intent=intent, confidence=confidence, reason=reason)


async def inbox() -> list[dict[str, Any]]:
    """Open questions grouped by similarity, biggest group first."""
    groups: list[dict[str, Any]] = []
    for q in await UnansweredQuestion.filter(handled=False).order_by("id"):
        group = next((g for g in groups if any(overlap(q.text, e) >= INBOX_GROUPING for e in g["examples"])), None)
        if group is None:
            groups.append({"text": q.text, "count": 1, "ids": [q.id], "examples": [q.text],
                           "reasons": [q.reason] if q.reason else []})
        else:
            group["count"] += 1
            group["ids"].append(q.id)
            if q.reason and q.reason not in group["reasons"]:
                group["reasons"].append(q.reason)
            if q.text not in group["examples"]:
                group["examples"].append(q.text)
    return sorted(groups, key=lambda g: (-g["count"], g["ids"][0]))


async def handle(ids: list[int], action: str, staff: str, faq_key: str | None = None,
                 new: dict[str, Any] | None = None) -> FaqIntent | None:
    questions = await UnansweredQuestion.filter(id__in=ids, handled=False)
    if not questions:
        raise NotFound("questions_not_found", "这些问题不在收件箱里（可能已处理）")
    texts = list(dict.fromkeys(q.text for q in questions))
    faq = None
    if action == "add_example":
        current = await get(faq_key or "")
        faq = await update(current.key, {"examples": current.examples + [t for t in texts if t not in current.examples]},
                           staff)
    elif action == "new_faq":
        faq = await create({**(new or {}), "examples": list(dict.fromkeys((new or {}).get("examples", []) + texts))},
                           staff)
    await UnansweredQuestion.filter(id__in=[q.id for q in questions]).update(handled=True)
    return faq
