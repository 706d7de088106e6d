"""Item search quality and speed on the held-out query file.

    .venv/bin/python bench/search_bench.py [--eval bench/data/search_eval.yaml] [--kb knowledge/data]

Prints top-1 / top-3 accuracy for items and bundles, the misses, and per-query latency (p50/p95/p99).
Targets (issue 2): top-1 >= 95%, p95 < 5 ms for the whole catalogue.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.loader import read_catalogue  # noqa: E402
from knowledge.search import SearchEntry, SearchIndex  # noqa: E402


def build_index(kb: Path) -> SearchIndex:
    catalogue, problems = read_catalogue(kb)
    if problems:
        sys.exit("knowledge base has problems: run `python -m knowledge.validate`")
    entries = [SearchEntry.from_item(doc.model_dump()) for doc, _ in catalogue.items.values()]
    entries += [SearchEntry.from_bundle(doc.model_dump()) for doc, _ in catalogue.bundles.values()]
    return SearchIndex(entries)


def evaluate(index: SearchIndex, queries: list[dict], kind: str, repeat: int) -> dict:
    from knowledge import search

    top1 = top3 = 0
    misses, timings = [], []
    for case in queries:
        for _ in range(repeat):
            # Cold: the per-text caches are emptied so each timed search tokenizes its query afresh.
            search.tokens.cache_clear()
            search._clean.cache_clear()
            started = time.perf_counter()
            hits = index.search(case["q"], limit=3, kind=kind)
            timings.append((time.perf_counter() - started) * 1000)
        codes = [h.code for h in hits]
        top1 += bool(codes) and codes[0] == case["expect"]
        top3 += case["expect"] in codes
        if not codes or codes[0] != case["expect"]:
            misses.append((case["q"], case["expect"], codes))
    timings.sort()
    pct = lambda p: timings[min(len(timings) - 1, int(p * len(timings)))]  # noqa: E731
    return {"n": len(queries), "top1": top1 / len(queries), "top3": top3 / len(queries), "misses": misses,
            "p50": statistics.median(timings), "p95": pct(0.95), "p99": pct(0.99)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval", default=str(ROOT / "bench" / "data" / "search_eval.yaml"))
    parser.add_argument("--kb", default=str(ROOT / "knowledge" / "data"))
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query, each with cold caches")
    args = parser.parse_args()
    data = yaml.safe_load(Path(args.eval).read_text(encoding="utf-8"))
    index = build_index(Path(args.kb))
    for kind, key in (("item", "queries"), ("bundle", "bundles")):
        r = evaluate(index, data[key], kind, args.repeat)
        print(f"{kind}s: {r['n']} queries  top-1 {r['top1']:.1%}  top-3 {r['top3']:.1%}  "
              f"latency p50 {r['p50']:.3f} ms  p95 {r['p95']:.3f} ms  p99 {r['p99']:.3f} ms")
        for q, expect, got in r["misses"]:
            print(f"  miss: {q!r} expected {expect}, got {got}")
    print(f"catalogue: {sum(e.kind == 'item' for e in index.entries)} items, {sum(e.kind == 'bundle' for e in index.entries)} bundles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
