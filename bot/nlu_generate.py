"""Generates the knowledge-base-derived parts of the Rasa project, deterministically:

    intents/generated/jieba/userdict.txt       item names and aliases, so jieba never splits them
    intents/data/generated/nlu_kb.yml          item lookup table, alias → item-code synonyms, regexes
    intents/data/generated/nlu_intents.yml     training examples: intents/templates/intents.yml × the items
    intents/data/generated/nlu_faq.yml         FAQ retrieval intents from intents/templates/faq.yml
    intents/generated/domain.yml               intents/domain/core.yml plus the FAQ answers, hall facts filled in
                                               from knowledge/data/halls.yaml (one file: Rasa warns about a
                                               retrieval intent split across domain files)

Run `python -m bot.nlu_generate` (scripts/train.sh does) whenever the knowledge base or templates change;
never edit the outputs by hand.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
from pathlib import Path
from typing import Any

import jieba
import yaml
import zhconv

from knowledge.loader import CatalogueInvalid, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"
SEED = 20261123
FILLS_PER_TEMPLATE = 3
TRADITIONAL_SHARE = 0.08  # a share of examples is written in traditional characters, as some citizens type
APPLICATION_NUMBER = r"[Yy][Xx]\d{14}"
DATES = ["明天", "后天", "今天", "大后天", "下周一", "下周三", "周五", "这周四", "下礼拜二", "11月28号", "12月1日", "12月3号",
         "28号", "下个月5号", "星期一"]
TIMES = ["上午", "下午", "9点", "十点半", "下午三点", "早上九点", "14:30", "两点", "上午10点", "下午2点半"]
_CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
_PLACEHOLDER = re.compile(r"\{(item|situation|date|time|application_number)\}")


def _replace(path: Path, text: str) -> None:
    """Written whole or not at all: the running app and a curators' retrain read these files while a
    regeneration may be under way (the tests run in parallel too)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _userdict_terms(catalogue) -> list[str]:
    terms: set[str] = set()
    for doc, _ in catalogue.items.values():
        for form in (doc.name, *doc.aliases):
            if _CJK_ONLY.match(form):
                terms |= {form, zhconv.convert(form, "zh-tw")}
    return sorted(terms)


def _item_forms(catalogue) -> dict[str, list[str]]:
    """Item code → the CJK names and aliases citizens use (entity fills and synonyms)."""
    return {
        code: [f for f in dict.fromkeys([doc.name, *doc.aliases]) if _CJK_ONLY.match(f)]
        for code, (doc, _) in sorted(catalogue.items.items())
    }


def _situation_words(catalogue) -> list[str]:
    words: set[str] = set()
    for doc, _ in catalogue.items.values():
        for s in doc.situations:
            words |= {w for w in (s.name, *s.keywords) if _CJK_ONLY.match(w)}
    return sorted(words)


class Tokenizer:
    """The same segmentation Rasa's JiebaTokenizer will apply, to keep entity spans on token edges."""

    def __init__(self, userdict: Path):
        self._jieba = jieba.Tokenizer()
        self._jieba.load_userdict(str(userdict))

    def aligned(self, text: str, spans: list[tuple[int, int]]) -> bool:
        edges = set()
        for _word, start, end in self._jieba.tokenize(text):
            edges |= {start, end}
        return all(s in edges and e in edges for s, e in spans)


def _render(template: str, rng: random.Random, fills: dict[str, list[str]]) -> tuple[str, str, list[tuple[int, int]]]:
    """Fills placeholders; returns Rasa's annotated text and the entity spans in the plain text."""
    plain, annotated, spans, pos = "", "", [], 0
    for m in _PLACEHOLDER.finditer(template):
        literal = template[pos:m.start()]
        plain += literal
        annotated += literal
        entity = m.group(1)
        value = rng.choice(fills[entity])
        spans.append((len(plain), len(plain) + len(value)))
        plain += value
        annotated += f"[{value}]({entity})"
        pos = m.end()
    plain += template[pos:]
    annotated += template[pos:]
    return plain, annotated, spans


def _clean_template(text: str) -> str:
    return str(text).replace("[", "").replace("]", "").replace("(", "（").replace(")", "）").strip()


def intent_examples(templates: dict[str, list[str]], fills: dict[str, list[str]], tokenizer: Tokenizer) -> dict[str, list[str]]:
    rng = random.Random(SEED)
    out: dict[str, list[str]] = {}
    for intent in sorted(templates):
        seen: dict[str, None] = {}
        for raw in templates[intent]:
            template = _clean_template(raw)
            if not _PLACEHOLDER.search(template):
                seen.setdefault(template, None)
                continue
            made = 0
            for _ in range(FILLS_PER_TEMPLATE * 6):
                plain, annotated, spans = _render(template, rng, fills)
                if rng.random() < TRADITIONAL_SHARE:
                    plain, annotated = zhconv.convert(plain, "zh-tw"), zhconv.convert(annotated, "zh-tw")
                if annotated in seen or not tokenizer.aligned(plain, spans):
                    continue
                seen[annotated] = None
                made += 1
                if made == FILLS_PER_TEMPLATE:
                    break
        out[intent] = list(seen)
    return out


# The opening of a citizen's long message says what it is (a complaint, a plea for help); DIET's cost
# grows with the length of what it trains on, so the training keeps the opening only.
COMPLAINT_OPENING = 60
_SENTENCE_END = re.compile(r"[。！？!?；;]")


def _opening(text: str, limit: int = COMPLAINT_OPENING) -> str:
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    return text[:ends[-1]] if ends and ends[-1] >= limit // 3 else text[:limit]


def real_examples(real_dir: Path) -> dict[str, list[str]]:
    """The training part of the real 群众留言 (bench/data/real/README.md; the held-out part lives in
    bench/ and is never read here), for `complain`."""
    messages = real_dir / "complaints_train.yml"
    if not messages.exists():
        return {}
    rows = yaml.safe_load(messages.read_text(encoding="utf-8"))["messages"]
    return {"complain": list(dict.fromkeys(_clean_template(_opening(r["text"])) for r in rows))}


def _hours_sentence(hours: dict[str, Any]) -> str:
    def period(p: dict[str, Any] | None) -> str:
        if not p:
            return ""
        spans = "、".join(f"{span[0].lstrip('0')}-{span[1].lstrip('0')}" for span in (p.get("am"), p.get("pm")) if span)
        return spans + ("（午间不打烊）" if p.get("noon_service") else "")

    parts = [f"工作日{period(hours['weekdays'])}"]
    if hours.get("saturday"):
        parts.append(f"周六{period(hours['saturday'])}")
    if hours.get("sunday"):
        parts.append(f"周日{period(hours['sunday'])}")
    if not hours.get("saturday") and not hours.get("sunday"):
        parts.append("周末休息")
    return "，".join(parts)


def hall_facts(catalogue) -> dict[str, dict[str, str]]:
    facts = {}
    for code, (hall, _) in catalogue.halls.items():
        data = hall.model_dump(mode="json")
        facts[code] = {
            "name": hall.name, "address": hall.address, "phone": hall.phone, "parking": hall.parking,
            "transport": "；".join(hall.transport), "hours": _hours_sentence(data["opening_hours"]),
            "hours_notes": hall.opening_hours.notes or "", "notes": hall.notes, "self_service": hall.self_service,
            "services": "、".join(hall.services),
        }
    return facts


def render_answer(text: str, facts: dict[str, dict[str, str]], where: str) -> str:
    def sub(m: re.Match) -> str:
        hall, field = m.group(1), m.group(2)
        if hall not in facts or field not in facts[hall]:
            raise ValueError(f"{where}: unknown placeholder {{{hall}.{field}}}")
        return facts[hall][field]

    return re.sub(r"\{([A-Z]+)\.([a-z_]+)\}", sub, text).strip()


def _block(lines: list[str]) -> str:
    return "".join(f"      - {line}\n" for line in lines)


def _yaml_text(value: str) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_style='"', width=10_000).strip()


def generate(root: Path = ROOT, intents_dir: Path | None = None) -> dict[str, int]:
    """`intents_dir` (default root/intents) may be a copy of the project's, as a curators' retrain uses."""
    intents_dir = intents_dir or root / "intents"
    catalogue = load_catalogue(root / "knowledge" / "data")
    (intents_dir / "generated" / "jieba").mkdir(parents=True, exist_ok=True)
    (intents_dir / "data" / "generated").mkdir(parents=True, exist_ok=True)

    userdict = intents_dir / "generated" / "jieba" / "userdict.txt"
    _replace(userdict, "".join(f"{t} 20000 n\n" for t in _userdict_terms(catalogue)))

    forms = _item_forms(catalogue)
    kb = ['version: "3.1"\n', "nlu:\n", "  - lookup: item\n", "    examples: |\n"]
    kb.append(_block(sorted({f for fs in forms.values() for f in fs})))
    for code, fs in forms.items():
        variants = sorted({v for f in fs for v in (f, zhconv.convert(f, "zh-tw"))})
        kb += [f"  - synonym: {code}\n", "    examples: |\n", _block(variants)]
    kb += ["  - regex: application_number\n", "    examples: |\n", _block([APPLICATION_NUMBER])]
    _replace(intents_dir / "data" / "generated" / "nlu_kb.yml", "".join(kb))

    templates = yaml.safe_load((intents_dir / "templates" / "intents.yml").read_text(encoding="utf-8"))["intents"]
    fills = {
        "item": sorted({f for fs in forms.values() for f in fs}),
        "situation": _situation_words(catalogue),
        "date": DATES,
        "time": TIMES,
        "application_number": [f"YX2026{m:02d}{d:02d}{n:06d}" for m, d, n in ((11, 23, 123), (10, 8, 4567), (12, 1, 88), (9, 30, 100234))],
    }
    examples = intent_examples(templates, fills, Tokenizer(userdict))
    for intent, lines in real_examples(intents_dir / "real").items():
        examples[intent] = list(dict.fromkeys(examples.get(intent, []) + lines))
    nlu = ['version: "3.1"\n', "nlu:\n"]
    for intent, lines in examples.items():
        nlu += [f"  - intent: {intent}\n", "    examples: |\n", _block(lines)]
    _replace(intents_dir / "data" / "generated" / "nlu_intents.yml", "".join(nlu))

    faq = yaml.safe_load((intents_dir / "templates" / "faq.yml").read_text(encoding="utf-8"))["faq"]
    facts = hall_facts(catalogue)
    faq_nlu = ['version: "3.1"\n', "nlu:\n"]
    core = (intents_dir / "domain" / "core.yml").read_text(encoding="utf-8")
    if "\nresponses:\n" not in core or "\n  - out_of_scope\n" not in core:
        raise ValueError("intents/domain/core.yml: expected an intents list and a responses section")
    faq_domain = []
    for key in sorted(faq):
        entry = faq[key]
        questions = list(dict.fromkeys(_clean_template(q) for q in entry["examples"]))
        faq_nlu += [f"  - intent: faq/{key}\n", "    examples: |\n", _block(questions)]
        answer = render_answer(entry["answer"], facts, f"intents/templates/faq.yml: {key}")
        faq_domain += [f"  utter_faq/{key}:\n", f"    - text: {_yaml_text(answer)}\n"]
    _replace(intents_dir / "data" / "generated" / "nlu_faq.yml", "".join(faq_nlu))
    domain = core.replace("\n  - out_of_scope\n", "\n  - out_of_scope\n  - faq\n", 1)
    domain = domain.replace("\nresponses:\n", "\nresponses:\n" + "".join(faq_domain), 1)
    header = "# Generated by bot/nlu_generate.py from intents/domain/core.yml and intents/templates/faq.yml; do not edit.\n"
    _replace(intents_dir / "generated" / "domain.yml", header + domain)
    return {"intents": len(examples), "examples": sum(map(len, examples.values())), "faq": len(faq), "items": len(forms)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_generate", description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=Path, default=None, help="the Rasa project directory (default: intents/)")
    args = parser.parse_args(argv)
    try:
        counts = generate(intents_dir=args.intents)
    except CatalogueInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("bot.nlu_generate: the knowledge base has problems; nothing generated", file=sys.stderr)
        return 1
    except (ValueError, KeyError, OSError) as exc:
        print(f"bot.nlu_generate: {exc}", file=sys.stderr)
        return 1
    print(f"generated {counts['examples']} examples for {counts['intents']} intents, {counts['faq']} FAQ entries, {counts['items']} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
