"""The model's life cycle through the real app and a real Rasa server: a curator retrains (in the
background, one run at a time, with progress and a log), the new model is evaluated on the held-out test
set next to the one in service, the deploy gate refuses an accuracy drop unless an admin overrides, a
citizen's message sent while Rasa loads the new model is still answered, and a roll-back restores the
baseline in one step.

The retrain uses tests/data/tiny_config.yml (one epoch per classifier): a real model that trains in under
a minute and is clearly worse than the project's, which is what the gate is for."""
from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from bot.conversation import UNAVAILABLE_REPLY
from bot.rasa_client import RasaClient
from tests.bot_stack import add_staff
from tests.conftest import REDIS_URL

TRAIN_TIMEOUT = 900


@pytest.fixture
def stack(lifecycle_stack):
    return lifecycle_stack


async def _json(resp: aiohttp.ClientResponse) -> dict:
    return await resp.json()


async def _rasa_model_id(http: aiohttp.ClientSession, stack) -> str:
    """The model every Rasa process serves (they must agree once a deploy is over)."""
    ids = set()
    for url in stack.rasa_url.split(","):
        async with http.get(f"{url}/status", params={"token": stack.rasa_token}) as r:
            ids.add((await r.json())["model_id"])
    assert len(ids) == 1, ids
    return ids.pop()


async def test_retrain_evaluate_deploy_and_roll_back(stack):
    curator = {"Authorization": f"Bearer {stack.staff_token}"}
    admin = add_staff(stack, f"管理员{uuid.uuid4().hex[:4]}", "admin")
    base = f"{stack.app_url}/admin/curation"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/models", headers=curator) as r:
            listing = await _json(r)
        baseline = listing["serving"]
        assert baseline["source"] == "baseline" and baseline["serving"] and baseline["files_present"]
        assert baseline["id"] in [m["id"] for m in listing["models"]]

        async with http.post(f"{base}/train", headers=curator) as r:
            assert r.status == 202, await r.text()
            run = (await _json(r))["run"]
        assert run["status"] == "running"
        async with http.post(f"{base}/train", headers=curator) as r:
            body = await _json(r)
            assert r.status == 409 and body["error"]["code"] == "training_running", body

        seen_progress, deadline = set(), time.monotonic() + TRAIN_TIMEOUT
        while True:
            async with http.get(f"{base}/runs/{run['id']}", headers=curator) as r:
                detail = await _json(r)
            run = detail["run"]
            seen_progress.add((run["stage"], run["progress"]))
            if run["status"] != "running":
                break
            assert time.monotonic() < deadline, detail
            await asyncio.sleep(1)
        assert run["status"] == "succeeded", detail["log"][-3000:]
        assert run["stage"] == "done" and run["progress"] == 1.0 and run["model_id"]
        assert "Finished training component 'DIETClassifier'" in detail["log"]
        assert "intent accuracy" in detail["log"]
        assert {stage for stage, _ in seen_progress} >= {"train", "done"}
        assert any(0 < p < 1 for _, p in seen_progress)

        async with http.get(f"{base}/models/{run['model_id']}/evaluation", headers=curator) as r:
            evaluation = await _json(r)
        assert evaluation["against"]["id"] == baseline["id"]
        assert evaluation["serving_accuracy"] > 0.9  # the project's model, on the held-out set
        assert evaluation["intent_accuracy"] < evaluation["serving_accuracy"] - 0.02
        assert not evaluation["deployable"]
        intents = {row["intent"] for row in evaluation["per_intent"]}
        assert {"ask_materials", "faq/opening_hours"} <= intents
        assert evaluation["model"]["n_tests"] >= 200

        new_id = run["model_id"]
        async with http.post(f"{base}/models/{new_id}/deploy", json={}, headers=curator) as r:
            body = await _json(r)
            assert r.status == 409 and body["error"]["code"] == "accuracy_drop", body
        async with http.post(f"{base}/models/{new_id}/deploy", json={"override": True}, headers=curator) as r:
            assert r.status == 403, await r.text()
        before = await _rasa_model_id(http, stack)

        async with http.post(f"{stack.app_url}/api/v1/auth/dev-login", json={"openid": f"deploy-{uuid.uuid4().hex[:8]}"}) as r:
            citizen = {"Authorization": "Bearer " + (await _json(r))["token"]}

        async def ask(text: str) -> list[str]:
            async with http.post(f"{stack.app_url}/api/v1/chat/messages", json={"text": text}, headers=citizen) as r:
                assert r.status == 200
                return [m["text"] for m in (await _json(r))["messages"] if m["role"] == "bot"]

        baseline_answer = await ask("大厅几点上班")
        assert baseline_answer and UNAVAILABLE_REPLY not in baseline_answer

        async def deploy():
            async with http.post(f"{base}/models/{new_id}/deploy", json={"override": True}, headers=admin) as r:
                return r.status, await _json(r)

        async def ask_during_deploy():
            await asyncio.sleep(0.3)  # the PUT /model is under way: Rasa is loading
            async with http.post(f"{stack.app_url}/api/v1/chat/messages", json={"text": "大厅几点上班"},
                                 headers=citizen) as r:
                return r.status, await _json(r)

        (status, deployed), (chat_status, chat) = await asyncio.gather(deploy(), ask_during_deploy())
        assert status == 200, deployed
        assert deployed["deployment"]["override"] and deployed["deployment"]["status"] == "succeeded"
        assert chat_status == 200, chat
        bot_replies = [m["text"] for m in chat["messages"] if m["role"] == "bot"]
        assert bot_replies and UNAVAILABLE_REPLY not in bot_replies
        after = await _rasa_model_id(http, stack)
        assert after != before
        async with http.get(f"{base}/models", headers=curator) as r:
            assert (await _json(r))["serving"]["id"] == new_id
        pointer = stack.log_dir / "models" / "serving"
        assert Path(pointer.read_text().strip()).name == deployed["model"]["name"]

        async with http.post(f"{base}/models/{baseline['id']}/rollback", json={}, headers=curator) as r:
            rolled = await _json(r)
            assert r.status == 200, rolled
        assert await _rasa_model_id(http, stack) == before
        assert await ask("大厅几点上班") == baseline_answer

        async with http.get(f"{base}/deployments", headers=curator) as r:
            history = (await _json(r))["deployments"]
        assert [(d["action"], d["status"], d["model_id"]) for d in history[:2]] == [
            ("rollback", "succeeded", baseline["id"]), ("deploy", "succeeded", new_id)]
        assert history[1]["override"] and history[1]["duration_s"] is not None


async def test_messages_during_a_model_load_slower_than_the_turn_lock_are_answered_in_order(stack):
    """A slow machine: Rasa answers nothing for 15 s while a deploy is announced (the process is stopped,
    as a long model load stops its event loop), which is five times the turn lock's life and longer than
    the Rasa timeout. Both messages the citizen sent meanwhile are answered, in order, and never a 500."""
    import os
    import signal

    import redis.asyncio as aioredis

    from bot.rasa_client import MODEL_LOADING_KEY

    async with aiohttp.ClientSession() as http, aioredis.from_url(REDIS_URL) as redis:
        async with http.post(f"{stack.app_url}/api/v1/auth/dev-login", json={"openid": f"slow-{uuid.uuid4().hex[:8]}"}) as r:
            login = await _json(r)
        citizen = {"Authorization": "Bearer " + login["token"]}
        # The process the citizen's conversation goes to is the one that stalls.
        own = RasaClient(stack.rasa_url, http).url_for(f"miniprogram:{login['citizen']['id']}")
        rasa = stack.processes[1 + stack.rasa_url.split(",").index(own)]

        async def ask(text: str, delay: float) -> tuple[int, dict]:
            await asyncio.sleep(delay)
            async with http.post(f"{stack.app_url}/api/v1/chat/messages", json={"text": text}, headers=citizen,
                                 timeout=aiohttp.ClientTimeout(total=120)) as r:
                return r.status, await _json(r)

        async def slow_load() -> None:
            await redis.set(MODEL_LOADING_KEY, "slow-load-test", ex=300)
            os.kill(rasa.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(10)
                lock = f"govhall:lock:miniprogram:{login['citizen']['id']}"
                assert await redis.exists(lock), "the turn lock expired while the turn waited for Rasa"
                await asyncio.sleep(5)
            finally:
                os.kill(rasa.pid, signal.SIGCONT)
                await redis.delete(MODEL_LOADING_KEY)

        _, first, second = await asyncio.gather(slow_load(), ask("大厅几点上班", 0.5), ask("办护照要什么材料", 1.0))
    for status, body in (first, second):
        assert status == 200, body
        bot = [m["text"] for m in body["messages"] if m["role"] == "bot"]
        assert bot and UNAVAILABLE_REPLY not in bot, body
    assert [m["role"] for m in first[1]["messages"]][0] == "citizen"
    assert first[1]["messages"][0]["text"] == "大厅几点上班"
    assert second[1]["messages"][0]["text"] == "办护照要什么材料"
    assert "护照" in "".join(m["text"] for m in second[1]["messages"] if m["role"] == "bot")
    assert second[1]["messages"][0]["id"] > max(m["id"] for m in first[1]["messages"])


async def test_deploying_the_serving_model_or_an_unknown_one_is_refused(stack):
    curator = {"Authorization": f"Bearer {stack.staff_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.app_url}/admin/curation/models", headers=curator) as r:
            models = (await r.json())["models"]
        async with http.post(f"{stack.app_url}/admin/curation/models/999999/rollback", json={}, headers=curator) as r:
            assert r.status == 404
        serving = next(m for m in models if m["serving"])
        async with http.post(f"{stack.app_url}/admin/curation/models/{serving['id']}/deploy", json={}, headers=curator) as r:
            body = await r.json()
            assert r.status == 409 and body["error"]["code"] == "already_serving", body


async def test_the_curation_page_shows_the_runs_models_evaluation_and_history(stack):
    """After the cycle above: the page's model panel in a real headless Chromium, with a screenshot."""
    from tests.browser import ARTIFACTS, browser_page, sign_in

    admin = add_staff(stack, f"页面管理员{uuid.uuid4().hex[:4]}", "admin")
    async with browser_page(height=1000) as page:
        await sign_in(page, f"{stack.app_url}/admin/curation", admin["Authorization"].split()[1])
        await page.wait_for_selector("#runStatus")
        assert "成功" in await page.inner_text("#runStatus")
        assert "Finished training component" in await page.inner_text("#runLog")
        await page.wait_for_selector("#models tr[data-model]")
        rows = page.locator("#models tr[data-model]")
        assert await rows.count() == 2
        assert "服务中" in await page.inner_text("#models")
        trained = page.locator("#models tr[data-model]", has_text="govhall-")
        await trained.locator("text=评估详情").click()
        await page.wait_for_selector("#evaluation table")
        evaluation = await page.inner_text("#evaluation")
        # The intents whose accuracy changed, one row each (which ones depends on the quick model's training).
        assert "不能直接上线" in evaluation and re.search(r"\n(ask_\w+|faq/\w+|[a-z_]+)\t\d+\t", evaluation)
        history = await page.inner_text("#deployments")
        assert "回滚" in history and "上线（强制）" in history
        await trained.locator("text=上线").click()
        await page.wait_for_selector("#modelMsg .error[data-code='accuracy_drop']")
        assert await page.locator("text=管理员强制上线").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "curation-models.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
