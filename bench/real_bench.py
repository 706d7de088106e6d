"""The bot on real citizens' words nobody here wrote (bench/data/real/README.md), held-out parts only.

    .venv/bin/python bench/real_bench.py

Starts the app and Rasa on the trained model and prints, with the misses:
- 群众留言 (complaints, pleas for help, suggestions): the share that becomes a complaint ticket in chat
  (sent through the mini-program chat, one new citizen each; the reply carries the ticket number).
  Target (issue 19): >= 90 %.
- services outside the catalogue, asked four ways (the service names are real, the question frames are
  ours and differ from the training frames): the share that gets a confident answer about some item
  (outcome "answered" with an item or bundle, from POST /admin/nlu/try). Target: <= 5 %.
Catalogue questions are measured on bench/data/nlu_test.yml by bench/nlu_bench.py; no public real set of
questions about this catalogue's items is at hand (see the README there).
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path

import aiohttp
import yaml
from stack import ROOT, bot_stack  # noqa: I001

REAL = ROOT / "bench" / "data" / "real"
FRAMES = ("{s}需要带哪些材料", "{s}在哪里可以办", "想办{s}，怎么弄", "{s}多久能办好")
TICKET_SAID = "已登记，编号"


async def _citizen(http: aiohttp.ClientSession, url: str, n: int) -> dict[str, str]:
    async with http.post(f"{url}/api/v1/auth/dev-login", json={"openid": f"real-bench-{n}"}) as resp:
        return {"Authorization": "Bearer " + (await resp.json())["token"]}


async def complaints(http: aiohttp.ClientSession, url: str) -> tuple[int, int, list[str]]:
    rows = yaml.safe_load((REAL / "complaints_heldout.yml").read_text(encoding="utf-8"))["messages"]
    routed, misses = 0, []
    for n, row in enumerate(rows):
        headers = await _citizen(http, url, n)
        async with http.post(f"{url}/api/v1/chat/messages", json={"text": row["text"]}, headers=headers,
                             timeout=aiohttp.ClientTimeout(total=60)) as resp:
            body = await resp.json()
        reply = " ".join(r["text"] for r in body.get("replies", []))
        if TICKET_SAID in reply:
            routed += 1
        else:
            misses.append(f"  {row['text'][:60]!r} → {reply[:50]!r}")
    return routed, len(rows), misses


async def not_covered(http: aiohttp.ClientSession, url: str, token: str) -> tuple[int, int, Counter, list[str]]:
    services = yaml.safe_load((REAL / "not_covered_heldout.yml").read_text(encoding="utf-8"))["services"]
    wrong, outcomes, misses, total = 0, Counter(), [], 0
    asked: list[str] = []
    for row in services:
        for frame in FRAMES:
            text = frame.format(s=row["name"])
            async with http.post(f"{url}/admin/nlu/try", json={"text": text},
                                 headers={"Authorization": f"Bearer {token}"}) as resp:
                body = await resp.json()
            total += 1
            outcomes[body["outcome"]] += 1
            if body["outcome"] == "answered" and body.get("item_code"):
                wrong += 1
                misses.append(f"  {text!r} → {body['item_code']}: {body['replies'][0]['text'][:40]!r}")
            elif body["outcome"] == "clarify":
                asked.append(f"  {text!r} → {body['replies'][0]['text'][:50]!r}")
    return wrong, total, outcomes, misses + (["asked back (first 12):"] + asked[:12] if asked else [])


async def run() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_stack(Path(tmp)) as stack, aiohttp.ClientSession() as http:
            routed, n_complaints, complaint_misses = await complaints(http, stack.app_url)
            wrong, n_questions, outcomes, wrong_answers = await not_covered(http, stack.app_url, stack.staff_token)
    print(f"群众留言 routed to a complaint ticket: {routed / n_complaints:.1%} ({routed}/{n_complaints})  target >= 90%")
    print(f"outside-catalogue questions answered confidently about an item: {wrong / n_questions:.1%} "
          f"({wrong}/{n_questions})  target <= 5%")
    print("  what they got: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    if complaint_misses:
        print("complaints not routed:", *complaint_misses[:40], sep="\n")
    if wrong_answers:
        print("confident answers about another item, then what was asked back:", *wrong_answers[:50], sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run()))
