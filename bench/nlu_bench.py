"""Understanding quality on the held-out test file (never used for training).

    .venv/bin/python bench/nlu_bench.py [--test bench/data/nlu_test.yml]

Starts the app and Rasa on the trained model, sends every sentence to POST /admin/nlu/try and prints
intent accuracy (FAQ sentences count as right when the response selector picks the right FAQ key),
item top-1 accuracy, situation accuracy and the confusions. Targets (issue 3): intent >= 95%, item top-1 >= 95%.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path

import aiohttp
import yaml
from stack import ROOT, bot_stack  # noqa: I001


def predicted_intent(body: dict) -> str:
    name = body["intent"]["name"]
    if name == "faq" and body.get("response_selector"):
        return body["response_selector"]
    return name


async def run(test_file: Path) -> int:
    cases = yaml.safe_load(test_file.read_text(encoding="utf-8"))["tests"]
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_stack(Path(tmp)) as stack, aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {stack.staff_token}"}
            results = []
            for case in cases:
                async with http.post(f"{stack.app_url}/admin/nlu/try", json={"text": case["text"]}, headers=headers) as resp:
                    body = await resp.json()
                results.append((case, body))
    intent_ok = item_n = item_ok = 0
    confusions: Counter = Counter()
    misses = []
    for case, body in results:
        got = predicted_intent(body)
        if got == case["intent"]:
            intent_ok += 1
        else:
            confusions[(case["intent"], got)] += 1
            misses.append(f"  intent: {case['text']!r} expected {case['intent']}, got {got} ({body['intent']['confidence']:.2f})")
        if case.get("item"):
            item_n += 1
            codes = [i["code"] for i in body["items"]]
            if codes and codes[0] == case["item"]:
                item_ok += 1
            else:
                misses.append(f"  item: {case['text']!r} expected {case['item']}, got {codes[:3]}")
    n = len(results)
    print(f"sentences: {n}  intents: {len({c['intent'] for c in cases})}  items: {len({c['item'] for c in cases if c.get('item')})}")
    print(f"intent accuracy: {intent_ok / n:.1%} ({intent_ok}/{n})")
    print(f"item top-1 accuracy: {item_ok / max(item_n, 1):.1%} ({item_ok}/{item_n})")
    print("confusions (expected -> got: count):")
    for (expected, got), count in confusions.most_common():
        print(f"  {expected} -> {got}: {count}")
    print("misses:")
    print("\n".join(misses) or "  none")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--test", default=str(ROOT / "bench" / "data" / "nlu_test.yml"))
    return asyncio.run(run(Path(parser.parse_args().test)))


if __name__ == "__main__":
    sys.exit(main())
