"""From "retrain" to "new model serving", as a curator does it, with the project's training config:

    .venv/bin/python bench/retrain_bench.py [--config intents/config.yml] [--chat-every 0.5]

Starts the app and Rasa (trackers in Redis) on a fresh database, changes one FAQ (a new example), starts
a retrain through the API, waits for training and evaluation, deploys the new model (as an admin, with the
override should the accuracy gate refuse), and meanwhile a citizen keeps chatting through the
mini-program API. Prints the time of each stage, the accuracy of both models, and the chat's latency and
failures during the deploy.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from stack import BENCH_REDIS_URL, ROOT, bot_stack  # noqa: I001

from tests.bot_stack import add_staff  # noqa: E402

UNAVAILABLE = "抱歉，系统正忙"


async def chatter(http: aiohttp.ClientSession, url: str, headers: dict, every: float, stop: asyncio.Event,
                  samples: list[tuple[float, float, bool]]) -> None:
    questions = ["大厅几点上班", "办护照要什么材料", "可以停车吗", "社保卡丢了怎么办"]
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        ok = False
        try:
            async with http.post(f"{url}/api/v1/chat/messages", json={"text": questions[n % len(questions)]},
                                 headers=headers, timeout=aiohttp.ClientTimeout(total=180)) as r:
                body = await r.json()
                ok = r.status == 200 and any(m["role"] == "bot" and UNAVAILABLE not in m["text"] for m in body["messages"])
        except (TimeoutError, aiohttp.ClientError):
            ok = False
        samples.append((started, time.monotonic() - started, ok))
        n += 1
        await asyncio.sleep(every)


async def run(config: Path, every: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"CURATION_TRAIN_CONFIG": str(config)}
        async with bot_stack(Path(tmp), redis_url=BENCH_REDIS_URL, extra_env=env) as stack, aiohttp.ClientSession() as http:
            curator = {"Authorization": f"Bearer {stack.staff_token}"}
            admin = add_staff(stack, f"管理员{uuid.uuid4().hex[:4]}", "admin")
            base = f"{stack.app_url}/admin/curation"
            async with http.get(f"{base}/faq/parking", headers=curator) as r:
                parking = await r.json()
            async with http.patch(f"{base}/faq/parking", headers=curator,
                                  json={"examples": parking["examples"] + ["开车过去车停哪儿方便"]}) as r:
                assert r.status == 200, await r.text()
            async with http.post(f"{stack.app_url}/api/v1/auth/dev-login", json={"openid": f"bench-{uuid.uuid4().hex[:8]}"}) as r:
                citizen = {"Authorization": "Bearer " + (await r.json())["token"]}

            t0 = time.monotonic()
            async with http.post(f"{base}/train", headers=curator) as r:
                run_id = (await r.json())["run"]["id"]
            stages: dict[str, float] = {}
            while True:
                async with http.get(f"{base}/runs/{run_id}", headers=curator) as r:
                    detail = await r.json()
                stages.setdefault(detail["run"]["stage"], time.monotonic() - t0)
                if detail["run"]["status"] != "running":
                    break
                await asyncio.sleep(1)
            trained = time.monotonic() - t0
            if detail["run"]["status"] != "succeeded":
                print(detail["log"][-3000:])
                return 1
            model_id = detail["run"]["model_id"]
            async with http.get(f"{base}/models/{model_id}/evaluation", headers=curator) as r:
                evaluation = await r.json()

            samples: list[tuple[float, float, bool]] = []
            stop = asyncio.Event()
            chat = asyncio.create_task(chatter(http, stack.app_url, citizen, every, stop, samples))
            await asyncio.sleep(3)
            deploy_started = time.monotonic()
            async with http.post(f"{base}/models/{model_id}/deploy", json={"override": True}, headers=admin) as r:
                deployed = await r.json()
                assert r.status == 200, deployed
            deploy_done = time.monotonic()
            await asyncio.sleep(3)
            stop.set()
            await chat

    print(f"training config: {config.relative_to(ROOT) if config.is_relative_to(ROOT) else config}")
    for stage in ("generate", "train", "evaluate", "done"):
        if stage in stages:
            print(f"  stage {stage:<9} reached at {stages[stage]:6.1f} s")
    print(f"retrain (export + generate + train + evaluate): {trained:.1f} s")
    print(f"deploy (PUT /model, Rasa loading): {deploy_done - deploy_started:.1f} s")
    print(f"retrain -> new model serving: {trained + deploy_done - deploy_started:.1f} s (plus the curator's clicks)")
    print(f"intent accuracy: new {evaluation['intent_accuracy']:.1%}, serving {evaluation['serving_accuracy']:.1%}")
    def overlaps_deploy(start: float, latency: float) -> bool:
        return start + latency >= deploy_started and start <= deploy_done

    during = [(lat, ok) for start, lat, ok in samples if overlaps_deploy(start, lat)]
    others = [(lat, ok) for start, lat, ok in samples if not overlaps_deploy(start, lat)]
    print(f"chat during the deploy: {len(during)} messages, {sum(not ok for _, ok in during)} failed, "
          f"slowest {max((lat for lat, _ in during), default=0):.1f} s")
    if others:
        print(f"chat otherwise: {len(others)} messages, median {statistics.median(latency for latency, _ in others) * 1000:.0f} ms, "
              f"{sum(not ok for _, ok in others)} failed")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "intents" / "config.yml"))
    parser.add_argument("--chat-every", type=float, default=0.5, help="seconds between the citizen's messages")
    args = parser.parse_args()
    return asyncio.run(run(Path(args.config).resolve(), args.chat_every))


if __name__ == "__main__":
    sys.exit(main())
